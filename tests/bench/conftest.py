import os
import sys

# Benchmarks share small measuring modules that live beside them.
sys.path.insert(0, os.path.dirname(__file__))
