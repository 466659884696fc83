"""Loading the iris data: bundled, from CSV, and as model input rows."""

import pytest

from {{ cookiecutter.package_name }} import data


def test_bundled_iris_has_150_flowers_of_three_species():
    dataset = data.load_dataset()
    assert dataset.features.shape == (150, 4)
    assert sorted(set(dataset.labels)) == ["setosa", "versicolor", "virginica"]


def test_csv_round_trips_the_bundled_data(tmp_path):
    bundled = data.load_bundled()
    path = data.write_csv(bundled, tmp_path / "nested" / "iris.csv")
    loaded = data.load_dataset(path)
    assert (loaded.features == bundled.features).all()
    assert (loaded.labels == bundled.labels).all()


def test_csv_without_a_column_names_it(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("sepal_length,sepal_width,petal_length,species\n1,2,3,setosa\n")
    with pytest.raises(ValueError, match="missing column.*petal_width"):
        data.load_csv(path)


def test_csv_with_a_bad_number_names_the_line(tmp_path):
    path = tmp_path / "iris.csv"
    header = ",".join((*data.FEATURES, data.TARGET))
    path.write_text(f"{header}\n1,2,3,4,setosa\n1,2,x,4,setosa\n")
    with pytest.raises(ValueError, match=r"iris.csv:3: .*numbers in cm"):
        data.load_csv(path)


def test_csv_without_rows_is_refused(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text(",".join((*data.FEATURES, data.TARGET)) + "\n")
    with pytest.raises(ValueError, match="no rows"):
        data.load_csv(path)


def test_features_row_follows_the_feature_order():
    features = {"petal_width": 4, "petal_length": 3, "sepal_width": 2}
    assert data.features_row({**features, "sepal_length": 1}) == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="sepal_length"):
        data.features_row(features)


def test_main_exports_the_bundled_data(tmp_path, capsys):
    assert data.main([str(tmp_path / "iris.csv")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "iris.csv")
    assert len(data.load_csv(tmp_path / "iris.csv").labels) == 150
