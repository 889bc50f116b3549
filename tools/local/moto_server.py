"""moto_server, with DynamoDB requests made atomic.

moto 5.2.1 serves requests on threads, and its DynamoDB backend checks a ConditionExpression and
applies the write without a lock, so two concurrent conditional writes to one item can both
succeed. Real DynamoDB applies each conditional write atomically; the pipeline's idempotency
depends on that. This launcher runs moto's own server application, serializing only DynamoDB and
DynamoDB Streams requests; everything else (SQS long polls included) stays concurrent.

It also removes two costs moto 5.2.1 pays on every request, without changing any answer, because
moto serves everything in one process under the GIL, so CPU spent anywhere holds every request
(the DynamoDB lock's holder included):
- for every event it delivers to a rule target, moto's EventBridge builds a new LALR parser for each
  of the 8 default input paths (jsonpath_ng with no table cache): memoized per path;
- for every request, it lists its own package folder under one global dispatch lock: listed once.
Request logging is off (errors still reach stderr).

Usage: python3 moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import functools
import logging
import os
import threading

import jsonpath_ng.ext
from moto import backends
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

_dynamodb_lock = threading.Lock()

# moto imports `parse` from jsonpath_ng.ext at each call, so the module attribute is what it uses.
# A parsed path is only read by `find`, so one can serve every event.
jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)

_moto_modules = tuple(backends.list_of_moto_modules())
backends.list_of_moto_modules = lambda: _moto_modules

logging.getLogger("werkzeug").setLevel(logging.WARNING)


class SerializeDynamoDB:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB"):
            return self.app(environ, start_response)
        with _dynamodb_lock:
            # Materialise the response inside the lock: the write happens while it is produced.
            return list(self.app(environ, start_response))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    run_simple(args.host, args.port, SerializeDynamoDB(app), threaded=True)


if __name__ == "__main__":
    main()
