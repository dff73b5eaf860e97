"""``python -m coopthemes.report RESULTS_DIR OUT_DIR``: every figure and table, and the manifest."""

import sys

from coopthemes.report import build_report
from coopthemes.report._common import run_script

if __name__ == "__main__":
    sys.exit(run_script(build_report))
