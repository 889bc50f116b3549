"""moto_server, with DynamoDB requests and SQS operations made atomic.

moto 5.2.1 serves requests on threads, and its DynamoDB backend checks a ConditionExpression and
applies the write without a lock, so two concurrent conditional writes to one item can both
succeed. Real DynamoDB applies each conditional write atomically; the pipeline's idempotency
depends on that. This launcher runs moto's own server application, serializing DynamoDB and
DynamoDB Streams requests.

Its SQS backend has no lock either: concurrent receives threw inside receive_message after marking
messages received (`ValueError: list.remove(x)`, `RuntimeError: Set changed size during
iteration`), so moto answered 500 and those messages stayed invisible for the visibility timeout,
or two receives returned one message. Every SQS backend operation (those SNS, EventBridge and S3
make on delivery included) runs under one re-entrant lock; a long poll waits between its attempts
with the lock released, so it holds no other call for its wait.

It also removes two costs moto 5.2.1 pays on every request, without changing any answer, because
moto serves everything in one process under the GIL, so CPU spent anywhere holds every request
(the DynamoDB lock's holder included):
- for every event it delivers to a rule target, moto's EventBridge builds a new LALR parser for each
  of the 8 default input paths (jsonpath_ng with no table cache): memoized per path;
- for every request, it lists its own package folder under one global dispatch lock: listed once;
- for every message SQS hands out, it builds all the queue's attributes (three scans of the queue)
  to read its retention period: read directly.
Request logging is off (errors still reach stderr).

Usage: python3 moto_server.py -H 127.0.0.1 -p PORT
"""

import argparse
import functools
import inspect
import logging
import os
import threading

import jsonpath_ng.ext
from moto import backends
from moto.core.utils import unix_time
from moto.server import DomainDispatcherApplication, create_backend_app
from moto.sqs.models import Queue, SQSBackend
from werkzeug.serving import run_simple

_dynamodb_lock = threading.Lock()

_sqs_lock = threading.RLock()
# Wakes a waiting long poll, as moto's own per-queue condition does; waiting on it releases
# _sqs_lock however deeply the receive holds it.
_sqs_message_added = threading.Condition(_sqs_lock)


def _serialize_sqs(operation):
    @functools.wraps(operation)
    def serialized(*args, **kwargs):
        with _sqs_lock:
            return operation(*args, **kwargs)

    return serialized


def _is_message_retained(backend, queue_name, message):
    # moto builds every attribute of the queue (three scans of its messages) to read this one.
    retention_period = backend.get_queue(queue_name).message_retention_period
    return retention_period + message.sent_timestamp / 1000 > unix_time()


SQSBackend.is_message_valid_based_on_retention_period = _is_message_retained

for _name, _operation in list(vars(SQSBackend).items()):
    if not _name.startswith("_") and inspect.isfunction(_operation):
        setattr(SQSBackend, _name, _serialize_sqs(_operation))

_add_message = Queue.add_message


def _add_message_and_wake(queue, message):
    with _sqs_message_added:
        _add_message(queue, message)
        _sqs_message_added.notify_all()


def _wait_for_messages(queue, timeout):
    # receive_message calls this between its attempts while WaitTimeSeconds runs.
    with _sqs_message_added:
        _sqs_message_added.wait_for(lambda: queue.messages, timeout=timeout)


Queue.add_message = _add_message_and_wake
Queue.wait_for_messages = _wait_for_messages

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
