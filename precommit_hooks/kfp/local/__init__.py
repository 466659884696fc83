"""Run a KFP pipeline on a laptop: ``dsp pipeline local`` (``make pipeline-local``).

plan.py compiles the pipeline with kfp and checks everything before a file is
written; spec.py reads the steps from the IR; compose.py and dockerfile.py
trace each step's image to the files it holds; image.py lays them out;
placeholders.py fills the command line as KFP's launcher would; run.py runs
the steps; environment.py checks the interpreter against the requirements.
"""
