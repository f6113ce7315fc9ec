// What every test target shares lives in TestSupport; each file of this target sees it.
@_exported import TestSupport
