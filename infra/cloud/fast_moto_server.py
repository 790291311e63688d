"""moto_server, with one lookup cached so it keeps up with the pipeline.

Why: moto_server's dispatcher asks `moto.backends.list_of_moto_modules()` on every
request which backend serves it, and that function lists and stats moto's ~200
package folders each time, while holding the dispatcher's global lock. Profiling a
pipeline run put most of the server's time there, and every request waits on that
lock. The folders cannot change while the server runs, so the list is computed
once. Nothing else is changed; installed files are not touched. Arguments are
moto_server's (-H HOST -p PORT ...).
"""
import sys

from moto import backends

_MODULES = frozenset(backends.list_of_moto_modules())


def _cached_list_of_moto_modules():
    return _MODULES


backends.list_of_moto_modules = _cached_list_of_moto_modules

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
