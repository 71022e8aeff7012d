import os

# One BLAS thread for the tests too (see reactor/_cli.py); set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
