import sys

from octavia_lb.cli import main

sys.exit(main())
