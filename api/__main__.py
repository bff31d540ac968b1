"""`python -m api`: the API server as `baoxue up` supervises it (settings from the environment)."""

import os
import sys

from api.server import serve
from config.settings import load_settings

code = serve(load_settings())
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
