"""Where the application's files are: the repository (templates/, static/, docs/, migrations/)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
