"""What the tests share: paths, real servers, git repositories, baking."""
