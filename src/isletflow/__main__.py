"""``python -m isletflow``: the same command line as ``isletflow``."""

from isletflow.cli import main

if __name__ == "__main__":
    main()
