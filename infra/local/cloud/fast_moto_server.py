"""moto_server, patched at import time so its cost stays flat as the pipeline grows.

Arguments are moto_server's (-H HOST -p PORT ...). Installed files are never edited:
the wrapper replaces a few of moto's functions in memory before the server starts.

1. The module list. moto_server's dispatcher asks `moto.backends.list_of_moto_modules()`
   on every request which backend serves it, and that function lists and stats moto's
   ~200 package folders each time, while holding the dispatcher's global lock. The
   folders cannot change while the server runs, so the list is computed once.

2. SQS standard queues in constant time per request. moto 5.2's `Queue` keeps one
   list of messages and answers everything by walking it: `Queue.messages` rebuilds
   the list of visible, not-delayed messages on every receive, and the three counts
   (ApproximateNumberOfMessages, ...NotVisible, ...Delayed) are recounted whenever
   `Queue.attributes` is read, which `send_message` does for every message it sends
   and the retention check does several times for every message it receives. A
   10-message SendMessageBatch went from 8 ms on an empty queue to 1.1 s at 5,000
   messages, and the whole server (one Python process) stalled with it. For each
   standard queue the wrapper keeps instead:
   - every message in an insertion-ordered dict (O(1) delete), with a sequence number;
   - a heap of ready (visible, not delayed) messages by sequence number: receive takes
     the oldest, in the order moto's list would give them;
   - a heap of in-flight and delayed messages by the time they become ready: each call
     first moves the ones whose time has come (lazily, by their `visible_at` /
     `delayed_until` timestamps, the same fields and comparisons moto uses);
   - the three counts, kept as messages change state;
   - an index of every receipt handle a message ever had (moto accepts old ones), for
     DeleteMessage and ChangeMessageVisibility;
   - a heap by sent time, for retention.
   Heap entries are invalidated lazily (a generation number per message) and the heaps
   are rebuilt when mostly stale, so every request costs O(log depth) amortised.
   Semantics are moto's, step for step: visibility timeout (0 included) and
   ChangeMessageVisibility, receive counts and first-receive timestamps, new receipt
   handles on each receive with old ones still deleting, redrive to the dead-letter
   queue once a ready message has been received maxReceiveCount times, queue and
   per-message DelaySeconds, DeleteMessage(Batch) (an already-deleted handle succeeds,
   an unknown one is ReceiptHandleIsInvalid), PurgeQueue, long polling, the MD5s.
   One deliberate difference: retention. moto keeps an expired message, counts it,
   and on each receive silently "receives" it (its count goes up, it goes in flight)
   and cuts that receive short; here, as on AWS, an expired message is deleted.
   FIFO queues keep moto's own code path (groups and deduplication), unchanged.

3. Version safety. The SQS patch replicates moto internals, so it is applied only to
   the moto it was written against: version 5.2.x, and the source of every moto
   function it replaces or relies on hashing to the 5.2.1 text (plus the attributes it
   reads, checked on probe objects). Anything else prints one line to stderr and the
   server runs plain moto's SQS; the patch is applied whole or not at all.
"""

import hashlib
import heapq
import inspect
import sys
from copy import deepcopy

import moto
from moto import backends

_MODULES = frozenset(backends.list_of_moto_modules())


def _cached_list_of_moto_modules():
    return _MODULES


backends.list_of_moto_modules = _cached_list_of_moto_modules


# --------------------------------------------------------------------------- SQS

from moto.sqs import models  # noqa: E402  (after the module list is cached, as moto_server would import it)

WRITTEN_FOR = "5.2."

# sha256 of inspect.getsource() of each moto function the patch replaces or whose
# behaviour it relies on, in moto 5.2.1. A change in any of them means the patch may
# no longer say what moto says: then it is not applied.
EXPECTED_SOURCES = {
    "Message.__init__": "4ab16d5eb16ec41c7d3907f6d30fedb903a124645f645b5ceda3b0bdcde88ea0",
    "Message.mark_sent": "0c04f21957a0d5fb72bc47e1b71666b97b48ac707d970864469cf31f68be2cd6",
    "Message.mark_received": "98e7ec115c7fcb9f34b06f42cb88a96ee9b595870bdad0105e25c4d8df462c97",
    "Message.change_visibility": "fcde8986de1390dce4e6015305233a4545ff8193b2d98b7cf5ae544a9d543084",
    "Message.delay": "4af4d292f3a61eaaa694796d63290140532b17297c111ef7468dd2209d67c833",
    "Message.visible": "5129b573308de62a700c40541df76673710ff2303258839ac66990eb56f27f27",
    "Message.delayed": "e2fd48abf582683aa4630cbd95daef06deb9f6de33e002a89f8c3d8a3f334838",
    "Message.all_receipt_handles": "ed3dd73cb69b49111df4b511a0905c98c966ef33cf21a5fd06bd3f9d2617e153",
    "Queue.__init__": "fda0dfa01cc33d7f376125f001ae63da4303651144451d6d88e0cedef5001249",
    "Queue._set_attributes": "4b7aaf3f46363f13788975ac5d49c63ee3d85c75538692d12d22f7f71cedc2f2",
    "Queue.messages": "03a531dbcbcf9aee2e61c7254c08946a499f5c57f2447a8f2e534aa85b067dea",
    "Queue.approximate_number_of_messages": "d357a9506a56d2f8f9f364aa1e0a4739182106db6dbcede0e0699c00d1406eec",
    "Queue.approximate_number_of_messages_not_visible": "5dbecc4dda174358d2aefa96e4b769def47fd6bb2c315241c451e8518c3fabab",
    "Queue.approximate_number_of_messages_delayed": "c3c1dadb0c42ed5f8f5e1fddc8384de67db2df9a4055504f10903bd0b55e8d2f",
    "Queue.attributes": "40cb990b121628d535cecbcd0e0d333984024633b70a097489ae8611e1a59338",
    "Queue.add_message": "f27c9231c1f2043382bc1435c4dfbab7b645389df642f050d9dda477f6535c35",
    "Queue.delete_message": "fa6fd5b9bd2cafb4aaacd79da7fc656e513e1513197c2939ff002f9ebfd4be46",
    "Queue.wait_for_messages": "58432562ccf2e13ed8841c825dd2614b6e57b71733d1ce9ba6926d38530ba1f1",
    "SQSBackend.send_message": "bf161af09a9e6b860e3dd5d8f58ccc802623caa86883fab9b2ffb333f8f70330",
    "SQSBackend.receive_message": "065f3e5e7d2144089ce3b5d16d9306243ccd2f3ee11b44beb851292fadb7652f",
    "SQSBackend.delete_message": "9eb658afdceb6bd9de79334fb31591bc0aa44bc924c0486516165418bbfff777",
    "SQSBackend.change_message_visibility": "f0e9df5f66627114c9249020675ff5accee62a9cab5e797442538c13ac593b99",
    "SQSBackend.delete_message_batch": "53c0bc5d5f51468ad2e6311da0417ec613b5da28d33337c66a3f1f51d99147b2",
    "SQSBackend.change_message_visibility_batch": "6194b4570c67a1a0ca8c8b323ecdbf4bf851515379a5145c8396ada0d93da963",
    "SQSBackend.purge_queue": "36c15547d700ca8b1096a83f2a1684abaa9b0beec814296122cabbf1e2308018",
    "SQSBackend.is_message_valid_based_on_retention_period": "cca23b94a5f3af9d9c5af1c09ee5e615017bdf6bd032301cb321c06c7e595d4b",
    "_filter_message_attributes": "2e61eb0503c8ea0acfc9e69207e609006757b5bca6a46cdb315b80c1b360b788",
    "unix_time": "f0576ec9e5f586e54a3646c4bee8f05589aed07b2aecf0e1943ffcd2585c3960",
    "unix_time_millis": "7a37e1337d02962edf1a7396cbc8f3872997b0d7cbb22d50e53876019c11dbad",
}

READY, IN_FLIGHT, DELAYED = 0, 1, 2


def _targets(m):
    """The moto functions the patch depends on, by name (a missing one raises AttributeError)."""
    queue, backend, message = m.Queue, m.SQSBackend, m.Message
    return {
        "Message.__init__": message.__init__,
        "Message.mark_sent": message.mark_sent,
        "Message.mark_received": message.mark_received,
        "Message.change_visibility": message.change_visibility,
        "Message.delay": message.delay,
        "Message.visible": message.visible.fget,
        "Message.delayed": message.delayed.fget,
        "Message.all_receipt_handles": message.all_receipt_handles.fget,
        "Queue.__init__": queue.__init__,
        "Queue._set_attributes": queue._set_attributes,
        "Queue.messages": queue.messages.fget,
        "Queue.approximate_number_of_messages": queue.approximate_number_of_messages.fget,
        "Queue.approximate_number_of_messages_not_visible": queue.approximate_number_of_messages_not_visible.fget,
        "Queue.approximate_number_of_messages_delayed": queue.approximate_number_of_messages_delayed.fget,
        "Queue.attributes": queue.attributes.fget,
        "Queue.add_message": queue.add_message,
        "Queue.delete_message": queue.delete_message,
        "Queue.wait_for_messages": queue.wait_for_messages,
        "SQSBackend.send_message": backend.send_message,
        "SQSBackend.receive_message": backend.receive_message,
        "SQSBackend.delete_message": backend.delete_message,
        "SQSBackend.change_message_visibility": backend.change_message_visibility,
        "SQSBackend.delete_message_batch": backend.delete_message_batch,
        "SQSBackend.change_message_visibility_batch": backend.change_message_visibility_batch,
        "SQSBackend.purge_queue": backend.purge_queue,
        "SQSBackend.is_message_valid_based_on_retention_period": backend.is_message_valid_based_on_retention_period,
        "_filter_message_attributes": m._filter_message_attributes,
        "unix_time": m.unix_time,
        "unix_time_millis": m.unix_time_millis,
    }


# Names the patch uses from moto's SQS module without relying on their code.
_NAMES_USED = ("sqs_backends", "ReceiptHandleIsInvalid", "InvalidParameterValue")


def _source_hash(function):
    return hashlib.sha256(inspect.getsource(function).encode("utf-8")).hexdigest()


_originals = {}  # the targets as found, once the patch is applied


def sqs_compatibility(m=models, version=None):
    """'compatible' if the SQS patch fits this moto, else one sentence saying why not."""
    version = moto.__version__ if version is None else version
    if not version.startswith(WRITTEN_FOR):
        return f"moto {version} is not the {WRITTEN_FOR}x this patch was written for"
    try:
        targets = _originals if getattr(m.Queue, "_fast_moto_sqs", False) else _targets(m)
        for name in _NAMES_USED:
            getattr(m, name)
    except AttributeError as error:
        return f"moto's SQS internals changed ({error})"
    for name, expected in EXPECTED_SOURCES.items():
        try:
            actual = _source_hash(targets[name])
        except (KeyError, OSError, TypeError) as error:
            return f"cannot read the source of moto's {name} ({error})"
        if actual != expected:
            return f"moto's {name} differs from moto 5.2.1's"
    try:
        probe_message = m.Message("probe", "body")
        for field in ("visible_at", "delayed_until", "approximate_receive_count", "receipt_handle", "sent_timestamp"):
            getattr(probe_message, field)
        probe_queue = m.Queue("fast-moto-probe", region="us-east-1", account_id="123456789012")
        for field in (
            "fifo_queue",
            "dead_letter_queue",
            "redrive_policy",
            "message_retention_period",
            "visibility_timeout",
            "receive_message_wait_time_seconds",
            "lambda_event_source_mappings",
        ):
            getattr(probe_queue, field)
        if not isinstance(probe_queue._pending_messages, set) or not isinstance(probe_queue.deleted_messages, set):
            return "moto's Queue no longer keeps _pending_messages and deleted_messages as sets"
        if not hasattr(probe_queue._messages_lock, "wait_for") or not hasattr(probe_queue._messages_lock, "notify_all"):
            return "moto's Queue._messages_lock is no longer a Condition"
    except Exception as error:  # noqa: BLE001 - any failure here means "do not patch"
        return f"moto's SQS objects changed ({type(error).__name__}: {error})"
    return "compatible"


def _now_ms():
    # moto's own clock (it can be moved through moto's API), as its Message uses.
    return models.unix_time_millis()


class _FastQueue:
    """The indexed state of one standard queue. Every method runs under `lock`."""

    def __init__(self, queue):
        self.queue = queue
        # moto's Condition (on an RLock): long polls wait on it, add_message notifies it.
        self.lock = queue._messages_lock
        self.reset()

    def reset(self):
        self.entries = {}  # Message -> [seq, generation, state], in insertion order
        self.ready = []  # heap of (seq, generation, Message)
        self.waiting = []  # heap of (due ms, seq, generation, Message): in flight or delayed
        self.by_sent = []  # heap of (sent ms, seq, Message): retention
        self.handles = {}  # receipt handle (current or old) -> Message
        self.counts = [0, 0, 0]
        self.seq = 0

    def place(self, message, entry, now):
        """Files a message under the state its timestamps give at `now` (moto's comparisons)."""
        entry[1] += 1
        if now < message.delayed_until:
            state = DELAYED
            heapq.heappush(self.waiting, (message.delayed_until, entry[0], entry[1], message))
        elif not now > message.visible_at:
            state = IN_FLIGHT
            heapq.heappush(self.waiting, (message.visible_at, entry[0], entry[1], message))
        else:
            state = READY
            heapq.heappush(self.ready, (entry[0], entry[1], message))
        entry[2] = state
        self.counts[state] += 1
        return state

    def add(self, message):
        now = _now_ms()
        if message in self.entries:
            self.remove(message)
        self.seq += 1
        entry = [self.seq, 0, READY]
        self.entries[message] = entry
        self.place(message, entry, now)
        for handle in message.all_receipt_handles:
            if handle is not None:
                self.handles[handle] = message
        sent = message.sent_timestamp if message.sent_timestamp is not None else float("inf")
        heapq.heappush(self.by_sent, (sent, entry[0], message))

    def remove(self, message):
        entry = self.entries.pop(message)
        self.counts[entry[2]] -= 1
        for handle in message.all_receipt_handles:
            if handle is not None and self.handles.get(handle) is message:
                del self.handles[handle]
        self.queue._pending_messages.discard(message)

    def refresh(self, now):
        """Moves messages whose visibility timeout or delay has passed to ready; drops expired ones."""
        waiting = self.waiting
        due = []
        # `<=`: a delay ends at its instant (moto: delayed while now < delayed_until), a
        # visibility timeout just after it (visible once now > visible_at); place() tells
        # them apart, and what is still waiting is filed again after this loop.
        while waiting and waiting[0][0] <= now:
            _, _, generation, message = heapq.heappop(waiting)
            entry = self.entries.get(message)
            if entry is not None and entry[1] == generation:
                due.append((message, entry))
        for message, entry in due:
            self.counts[entry[2]] -= 1
            if self.place(message, entry, now) == READY:
                self.queue._pending_messages.discard(message)
        retention_s = self.queue.message_retention_period
        now_s = now / 1000
        by_sent = self.by_sent
        # moto's test (is_message_valid_based_on_retention_period): expired once retention + sent <= now.
        while by_sent and retention_s + by_sent[0][0] / 1000 <= now_s:
            _, seq, message = heapq.heappop(by_sent)
            entry = self.entries.get(message)
            if entry is None or entry[0] != seq:
                continue
            self.remove(message)
            # A consumer still holding it deletes it without an error, as it would a deleted one.
            self.queue.deleted_messages.update(message.all_receipt_handles)
        self.compact()

    def compact(self):
        # Stale heap entries are dropped only when they surface; rebuild when they dominate.
        live = len(self.entries)
        if len(self.ready) + len(self.waiting) > 2 * live + 1024:
            self.ready = [(e[0], e[1], m) for m, e in self.entries.items() if e[2] == READY]
            self.waiting = [
                (m.delayed_until if e[2] == DELAYED else m.visible_at, e[0], e[1], m)
                for m, e in self.entries.items()
                if e[2] != READY
            ]
            heapq.heapify(self.ready)
            heapq.heapify(self.waiting)
        if len(self.by_sent) > 2 * live + 1024:
            self.by_sent = [
                (m.sent_timestamp if m.sent_timestamp is not None else float("inf"), e[0], m) for m, e in self.entries.items()
            ]
            heapq.heapify(self.by_sent)

    def ready_messages(self):
        self.refresh(_now_ms())
        return [m for seq, generation, m in sorted(self.ready) if self.entries.get(m, (0, -1))[1] == generation]


def _fast(queue):
    return queue.__dict__.get("_fast_state")


def _install(m):
    """Replaces moto's SQS functions for standard queues; FIFO queues keep moto's own."""
    original = _targets(m)
    Queue, SQSBackend = m.Queue, m.SQSBackend
    ReceiptHandleIsInvalid, InvalidParameterValue = m.ReceiptHandleIsInvalid, m.InvalidParameterValue

    def __init__(self, name, region, account_id, **kwargs):
        original["Queue.__init__"](self, name, region, account_id, **kwargs)
        if not self.fifo_queue:
            messages = self.__dict__.pop("_messages", [])
            state = _FastQueue(self)
            self.__dict__["_fast_state"] = state
            for message in messages:
                state.add(message)

    # moto code that still reads or assigns `_messages` (its FIFO paths, purge_queue)
    # sees a list: for a standard queue it is built from, or loaded into, the index.
    def _get_messages(self):
        state = _fast(self)
        if state is None:
            return self.__dict__["_messages"]
        with state.lock:
            return list(state.entries)

    def _set_messages(self, messages):
        state = _fast(self)
        if state is None:
            self.__dict__["_messages"] = messages
            return
        with state.lock:
            state.reset()
            for message in messages:
                state.add(message)

    def _counter(name, state_index):
        def count(self):
            state = _fast(self)
            if state is None:
                return original[name](self)
            with state.lock:
                state.refresh(_now_ms())
                return state.counts[state_index]

        return count

    def messages(self):
        state = _fast(self)
        if state is None:
            return original["Queue.messages"](self)
        with state.lock:
            return state.ready_messages()

    def add_message(self, message):
        state = _fast(self)
        if state is None:
            return original["Queue.add_message"](self, message)
        with state.lock:
            state.add(message)
            state.lock.notify_all()
        # moto's own Lambda event source mappings, as in moto's add_message.
        for arn, esm in self.lambda_event_source_mappings.items():
            if not esm.enabled:
                continue
            backend = m.sqs_backends[self.account_id][self.region]
            received = backend.receive_message(
                self.name, esm.batch_size, self.receive_message_wait_time_seconds, self.visibility_timeout
            )
            from moto.awslambda.utils import get_backend

            if get_backend(self.account_id, self.region).send_sqs_batch(arn, received, self.queue_arn):
                for r in received:
                    backend.delete_message(self.name, r.receipt_handle)
            else:
                for r in received:
                    backend.change_message_visibility(self.name, r.receipt_handle, visibility_timeout=0)

    def delete_message(self, receipt_handle):
        state = _fast(self)
        if state is None:
            return original["Queue.delete_message"](self, receipt_handle)
        if receipt_handle in self.deleted_messages:
            return  # already deleted: moto (and AWS) accept it again
        with state.lock:
            message = state.handles.get(receipt_handle)
            if message is None:
                raise ReceiptHandleIsInvalid()
            state.remove(message)
            self.deleted_messages.update(message.all_receipt_handles)

    def wait_for_messages(self, timeout):
        state = _fast(self)
        if state is None:
            return original["Queue.wait_for_messages"](self, timeout)

        def any_ready():
            state.refresh(_now_ms())
            return state.counts[READY] > 0

        with state.lock:
            state.lock.wait_for(any_ready, timeout=timeout)

    def receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names=None):
        queue = self.get_queue(queue_name)
        state = _fast(queue)
        if state is None:
            return original["SQSBackend.receive_message"](
                self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names
            )
        if message_attribute_names is None:
            message_attribute_names = []
        result = []
        polling_end = m.unix_time() + wait_seconds_timeout
        while True:
            if result or (wait_seconds_timeout and m.unix_time() > polling_end):
                break
            to_dead_letters = []
            with state.lock:
                now = _now_ms()
                state.refresh(now)
                dead_letter_queue, redrive = queue.dead_letter_queue, queue.redrive_policy
                received = []
                while state.ready and len(result) < count:
                    _, generation, message = heapq.heappop(state.ready)
                    entry = state.entries.get(message)
                    if entry is None or entry[1] != generation:
                        continue  # deleted or moved since this entry was filed
                    queue._pending_messages.discard(message)
                    if (
                        dead_letter_queue is not None
                        and redrive
                        and message.approximate_receive_count >= redrive["maxReceiveCount"]
                    ):
                        state.remove(message)
                        to_dead_letters.append(message)
                        continue
                    queue._pending_messages.add(message)
                    state.counts[READY] -= 1
                    message.mark_received(visibility_timeout=visibility_timeout)
                    state.handles[message.receipt_handle] = message
                    copy = deepcopy(message)  # as moto: filtering attributes must not touch the stored message
                    m._filter_message_attributes(copy, message_attribute_names)
                    result.append(copy)
                    received.append((message, entry))
                # Filed only now: with visibility 0 a message stays ready, but one receive returns it once.
                for message, entry in received:
                    state.place(message, entry, now)
            # Outside this queue's lock: the dead-letter queue takes its own.
            for message in to_dead_letters:
                dead_letter_queue.add_message(message)
            if not result:
                if wait_seconds_timeout == 0:
                    break
                queue.wait_for_messages(1)
        return result

    def change_message_visibility(self, queue_name, receipt_handle, visibility_timeout):
        queue = self.get_queue(queue_name)
        state = _fast(queue)
        if state is None:
            return original["SQSBackend.change_message_visibility"](self, queue_name, receipt_handle, visibility_timeout)
        with state.lock:
            message = state.handles.get(receipt_handle)
            if message is None:
                raise ReceiptHandleIsInvalid
            given_visibility_timeout = m.unix_time_millis() + int(visibility_timeout) * 1000
            if given_visibility_timeout - message.sent_timestamp > 43200 * 1000:
                raise InvalidParameterValue(
                    f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                    "VisibilityTimeout for the message is beyond the limit [43200 seconds]"
                )
            message.change_visibility(visibility_timeout)
            entry = state.entries[message]
            state.counts[entry[2]] -= 1
            if state.place(message, entry, _now_ms()) == READY:
                queue._pending_messages.discard(message)
                state.lock.notify_all()

    replacements = [
        (Queue, "__init__", __init__),
        (Queue, "_messages", property(_get_messages, _set_messages)),
        (Queue, "messages", property(messages)),
        (Queue, "approximate_number_of_messages", property(_counter("Queue.approximate_number_of_messages", READY))),
        (
            Queue,
            "approximate_number_of_messages_not_visible",
            property(_counter("Queue.approximate_number_of_messages_not_visible", IN_FLIGHT)),
        ),
        (
            Queue,
            "approximate_number_of_messages_delayed",
            property(_counter("Queue.approximate_number_of_messages_delayed", DELAYED)),
        ),
        (Queue, "add_message", add_message),
        (Queue, "delete_message", delete_message),
        (Queue, "wait_for_messages", wait_for_messages),
        (SQSBackend, "receive_message", receive_message),
        (SQSBackend, "change_message_visibility", change_message_visibility),
        (Queue, "_fast_moto_sqs", True),
    ]
    saved = [(owner, name, owner.__dict__.get(name, _MISSING)) for owner, name, _ in replacements]
    try:
        for owner, name, replacement in replacements:
            setattr(owner, name, replacement)
    except Exception:
        _restore(saved)
        raise
    _originals.update(original)
    # Queues created before the patch (none in a fresh server) keep their list: moto's path.


_MISSING = object()


def _restore(saved):
    for owner, name, value in saved:
        if value is _MISSING:
            if name in owner.__dict__:
                delattr(owner, name)
        else:
            setattr(owner, name, value)


def install_sqs_patch(m=models):
    """Applies the SQS patch if this moto is the one it was written for; returns the verdict."""
    if getattr(m.Queue, "_fast_moto_sqs", False):
        return "compatible"
    verdict = sqs_compatibility(m)
    if verdict != "compatible":
        print(f"fast_moto_server: {verdict}; SQS runs as plain moto (not patched)", file=sys.stderr)
        return verdict
    try:
        _install(m)
    except Exception as error:  # noqa: BLE001 - never a half-patched server
        print(f"fast_moto_server: patching SQS failed ({error}); SQS runs as plain moto (not patched)", file=sys.stderr)
        return f"patching failed: {error}"
    return verdict


SQS_PATCH = install_sqs_patch()

if __name__ == "__main__":
    # `--check`: print whether the SQS patch applies to the installed moto ("compatible",
    # or why not) and exit; npm start says so in one line before it starts the server.
    if sys.argv[1:] == ["--check"]:
        print(SQS_PATCH)
        sys.exit(0)
    from moto.server import main

    sys.exit(main())
