"""Pipeline components generated from the project's typed step functions.

:mod:`.signatures` reads the marked functions of ``src/`` with :mod:`ast`
(never importing the user's code), :mod:`.render` turns each into a v1
``component.yaml``, and :mod:`.command` is ``dsp components generate``
(and ``--check``, which the ``check-components-sync`` hook runs).
"""
