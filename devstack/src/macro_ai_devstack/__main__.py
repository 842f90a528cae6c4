import sys

from macro_ai_devstack.run import main

sys.exit(main())
