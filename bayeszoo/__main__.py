import sys

from bayeszoo.cli import main

sys.exit(main())
