"""`python -m formcheck ...` runs the same command line as the `formcheck` script."""
from formcheck.cli import app

if __name__ == "__main__":
    app(prog_name="formcheck")
