"""moto_server, with DynamoDB requests made atomic.

moto 5.2.1 serves requests on threads, and its DynamoDB backend checks a ConditionExpression and
applies the write without a lock, so two concurrent conditional writes to one item can both
succeed. Real DynamoDB applies each conditional write atomically; the pipeline's idempotency
depends on that. This launcher runs moto's own server application, serializing only DynamoDB and
DynamoDB Streams requests; everything else (SQS long polls included) stays concurrent.

Usage: python3 moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import os
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

_dynamodb_lock = threading.Lock()


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
