import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while Python imports Mirror: nothing was read or written yet
    sys.exit(130)

sys.exit(main())
