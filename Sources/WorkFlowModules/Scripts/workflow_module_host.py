"""WorkFlow's host for custom Python modules.

The engine starts one of these per run and talks to it in JSON lines (docs/modules.md,
"The module protocol"):

    python3 workflow_module_host.py serve ROOT     serve calls for the modules under ROOT
    python3 workflow_module_host.py inspect ROOT CATEGORY NAME
                                                   describe ROOT/CATEGORY/NAME.py, once

ROOT holds the custom modules as the seed laid them out (`<category>/<Name>.py`) and is put
first on `sys.path`, so modules import each other as `category.Name`, as in the seed.

A module is a class named like its file, built with one argument (a logger) for every step,
whose methods take `(context, params)` and return a dict. `context` is one dict for the whole
run: earlier results, `var`, and whatever the run's modules keep in it (an open connection).
"""

import importlib
import importlib.util
import inspect
import io
import json
import logging
import math
import os
import re
import sys
import threading
import traceback

PROTOCOL = 1


# ---------------------------------------------------------------- JSON out


def plain(value, depth=0):
    """`value` as JSON-compatible data; what JSON cannot hold becomes its str(), as the seed stored it."""
    if depth > 64:
        return str(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        # Lone surrogates (file names read with surrogateescape) cannot be UTF-8.
        return value.encode("utf-8", "backslashreplace").decode("utf-8") if any("\ud800" <= c <= "\udfff" for c in value) else value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    return str(value)


class Channel:
    """The protocol stream: the process's original stdout, one JSON object per line."""

    def __init__(self, stream):
        self.stream = stream
        self.lock = threading.Lock()

    def send(self, message):
        line = json.dumps(message, ensure_ascii=False, allow_nan=False) + "\n"
        with self.lock:
            self.stream.write(line)
            self.stream.flush()


def take_stdout():
    """Keeps the real stdout for the protocol and points fd 1 at stderr, so that nothing a
    module or a library prints (even from C or a child process) can break a protocol line."""
    sys.stdout.flush()
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    return stream


# ---------------------------------------------------------------- serving calls


class CallLog(logging.Handler):
    """Sends a module's log records as `log` messages of the call being served."""

    LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "ERROR": "error", "CRITICAL": "error"}

    def __init__(self, channel):
        super().__init__(logging.DEBUG)
        self.channel = channel
        self.call = None
        self.pid = os.getpid()

    def emit(self, record):
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        except Exception:  # a bad format string must not end the run
            message = str(record.msg)
        if os.getpid() != self.pid:
            return  # a forked worker: its lines could tear the protocol's
        for start in range(0, max(len(message), 1), CHUNK):
            self.channel.send({"type": "log", "id": self.call, "level": self.LEVELS.get(record.levelname, "info"),
                               "message": message[start:start + CHUNK]})


CHUNK = 64 * 1024  # the longest log line sent; longer output arrives in pieces


class Capture:
    """What is written to file descriptor 1 while serving — by `print`, by C code, by child
    processes — arrives through a pipe and becomes `info` log lines of the call being served.

    ``sync`` makes sure everything written so far has been forwarded before the call's answer
    is sent: it writes a marker into the pipe (through a descriptor of its own, so a module
    that closes or redirects fd 1 cannot lose it), which is read in order, and waits for it."""

    MARKER = "\x00workflow-sync\x00"

    def __init__(self, handler):
        self.handler = handler
        self.seen = threading.Event()
        read, self.write = os.pipe()
        os.set_inheritable(self.write, False)
        self.restore()
        threading.Thread(target=self.forward, args=(read,), name="workflow-capture", daemon=True).start()

    def restore(self):
        """Points fd 1 and `sys.stdout` at the pipe again (a module may have moved them)."""
        try:
            os.dup2(self.write, 1)
        except OSError:
            pass
        if getattr(sys, "stdout", None) is None or sys.stdout.closed or getattr(sys.stdout, "_workflow", False) is False:
            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0, closefd=False), encoding="utf-8", line_buffering=True)
            sys.stdout._workflow = True

    def forward(self, read):
        held_empty = False  # the marker starts with a newline; an empty line before it is ours
        with os.fdopen(read, "r", encoding="utf-8", errors="replace", newline="\n") as stream:
            while True:
                line = stream.readline(CHUNK)
                if not line:
                    return
                line = line.rstrip("\n")
                if line == self.MARKER:
                    held_empty = False
                    self.seen.set()
                    continue
                if held_empty:
                    self.send("")
                held_empty = line == ""
                if not held_empty:
                    self.send(line)

    def send(self, line):
        self.handler.channel.send({"type": "log", "id": self.handler.call, "level": "info", "message": line})

    def sync(self, timeout=5):
        self.seen.clear()
        try:
            os.write(self.write, ("\n" + self.MARKER + "\n").encode())
        except OSError:
            return
        self.seen.wait(timeout)


class StderrMark:
    """Marks the end of a call's stderr output. WorkFlow reads stderr itself (so a crash's last
    words reach it even when this process dies) and holds the call's answer until it has read
    the mark, so that every stderr line of the call lands in the call's log. The mark goes
    through a descriptor of its own, on a line of its own."""

    def __init__(self):
        self.fd = os.dup(2)
        os.set_inheritable(self.fd, False)

    def write(self, call):
        try:
            sys.stderr.flush()
        except Exception:  # a module may have closed or replaced it
            pass
        try:
            os.write(self.fd, ("\n\x00workflow-sync %s\x00\n" % call).encode())
        except OSError:
            pass


class ModuleFiles:
    """Finds `category.Name` in ROOT before anything else, so that a category named like a
    package of Python's own (`test`, `json`) or an installed one still reaches its modules;
    the category itself stays whatever Python would import under that name."""

    def __init__(self, root):
        self.root = root

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if len(parts) < 2:
            return None
        file = os.path.join(self.root, *parts) + ".py"
        if not os.path.isfile(file):
            return None
        return importlib.util.spec_from_file_location(fullname, file)


def use_root(root):
    sys.path.insert(0, root)
    sys.meta_path.insert(0, ModuleFiles(root))


def load_class(module_name):
    """The class named like the last part of `module_name` (`test.Test` → class `Test`)."""
    module = importlib.import_module(module_name)
    class_name = module_name.rsplit(".", 1)[-1]
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls):
        raise LookupError("module %s has no class %s" % (module_name, class_name))
    return cls


def module_traceback(error):
    """The traceback from the module's frames on (this host's own frames say nothing to its author)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb)).rstrip()


def die_with_parent():
    """Ends this process soon after WorkFlow dies (even by `kill -9`), so a module in the middle
    of a long call is not left running on its own: a watcher thread sees the parent change.
    (The kernel's PR_SET_PDEATHSIG would fire when the spawning *thread* ends, which in a
    thread pool can happen at any time.)"""
    import threading
    import time

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                try:
                    os.killpg(0, 9)  # this process leads its group: modules' children go too
                finally:
                    os._exit(1)

    threading.Thread(target=watch, name="workflow-parent-watch", daemon=True).start()


def serve(root):
    die_with_parent()
    channel = Channel(take_stdout())
    # Requests come on a descriptor of our own; fd 0 is /dev/null, so neither a module reading
    # sys.stdin nor a child process it starts can take a request.
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull, "r")
    use_root(root)
    handler = CallLog(channel)
    logger = logging.getLogger("workflow.module")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    capture = Capture(handler)
    mark = StderrMark()

    def settle(call):
        """Forwards what the call printed before its answer goes out; never raises."""
        try:
            sys.stdout.flush()
        except Exception:  # a module may have closed or replaced it
            pass
        capture.sync()
        mark.write(call)

    context = {}
    channel.send({"type": "ready", "protocol": PROTOCOL, "python": sys.version.split()[0], "stderr_sync": True})
    for line in requests:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as error:
            channel.send({"type": "error", "id": None, "error": "not a JSON request: %s" % error})
            continue
        if request.get("type") != "call":
            channel.send({"type": "error", "id": request.get("id"), "error": "unknown request type %r" % request.get("type")})
            continue
        call = request.get("id")
        handler.call = call
        capture.restore()
        try:
            context.update(request.get("context") or {})
            cls = load_class(request["module"])
            method = getattr(cls(logger), request["method"], None)
            if method is None or request["method"].startswith("_"):
                raise AttributeError("%s has no method %s" % (request["module"], request["method"]))
            answer = {"type": "result", "id": call, "result": plain(method(context, request.get("params") or {}))}
        except BaseException as error:  # SystemExit too: one step's exit() must not end the run
            answer = {
                "type": "error", "id": call,
                "error": "%s: %s" % (type(error).__name__, error) if str(error) else type(error).__name__,
                "traceback": module_traceback(error),
            }
        settle(call)
        try:
            channel.send(answer)
        except (TypeError, ValueError, UnicodeError) as error:
            channel.send({"type": "error", "id": call, "error": "the result cannot be sent as JSON: %s" % error})
        handler.call = None


# ---------------------------------------------------------------- inspecting a module

TYPES = {
    "str": "string", "string": "string",
    "int": "number", "float": "number", "number": "number",
    "bool": "boolean", "boolean": "boolean",
    "dict": "json", "list": "json", "object": "json",
    "ref": "ref",
}
INTERNAL = {"context", "cfgs", "self", "logger"}
ARG_LINE = re.compile(r"^\s+(\w+)\s*\(([^)]+)\)\s*:\s*(.+?)\s*$")
DEFAULT = re.compile(r"\s*\(default:\s*(.+?)\)\s*$")


def default_value(raw):
    lower = raw.lower()
    if lower in ("true", "false"):
        return lower == "true"
    if lower in ("null", "none"):
        return None
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    if raw[:1] in "[{":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return raw


def section(doc, title):
    """The indented lines under `title:` in a Google-style docstring."""
    lines = doc.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == title + ":":
            body = []
            for item in lines[i + 1:]:
                if not item.strip() or not item[:1].isspace():
                    break
                body.append(item)
            return body
    return []


def parameters(doc):
    found = []
    for line in section(doc, "Args"):
        match = ARG_LINE.match(line)
        if not match or match.group(1) in INTERNAL:
            continue
        name, kind, text = match.groups()
        entry = {"name": name, "type": TYPES.get(kind.strip().lower(), "string"), "type_text": kind.strip()}
        required = "optional" not in text.lower()
        fallback = DEFAULT.search(text)
        if fallback:
            entry["default"] = default_value(fallback.group(1).strip())
            text = text[:fallback.start()].strip()
            required = False
        entry["desc"] = text
        entry["required"] = required
        found.append(entry)
    return found


def returns(doc):
    body = section(doc, "Returns")
    if not body:
        return None
    match = re.match(r"^\s+(\w+)\s*:\s*(.+?)\s*$", body[0])
    if match:
        return {"type": match.group(1), "desc": match.group(2)}
    return {"type": "", "desc": body[0].strip()}


def is_procedure(function):
    names = list(inspect.signature(function).parameters)
    if len(names) >= 3 and names[1] == "context":
        return True
    if len(names) >= 3 and "context" in names and ("cfgs" in names or "params" in names):
        return True
    doc = inspect.getdoc(function) or ""
    return len(names) >= 2 and "Args:" in doc


def describe(root, category, name):
    path = os.path.join(root, category, name + ".py")
    with open(path, encoding="utf-8") as file:
        source = file.read()
    try:
        compile(source, path, "exec")
    except SyntaxError as error:
        return {"ok": False, "kind": "syntax", "error": error.msg, "line": error.lineno, "column": error.offset,
                "text": (error.text or "").rstrip("\n")}
    use_root(root)
    try:
        spec = importlib.util.spec_from_file_location("wf_mod_%s_%s" % (category, name), path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == path]
        return {"ok": False, "kind": "import", "error": "%s: %s" % (type(error).__name__, error),
                "line": frames[-1].lineno if frames else None,
                "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()}
    cls = getattr(module, name, None)
    if not inspect.isclass(cls):
        return {"ok": False, "kind": "class", "error": "the file defines no class named %s (the class must be named like the file)" % name}
    methods = []
    for method_name, function in inspect.getmembers(cls, predicate=inspect.isfunction):
        if method_name.startswith("_") or not is_procedure(function):
            continue
        doc = inspect.getdoc(function) or ""
        entry = {"name": method_name, "label": doc.split("\n")[0].strip() or method_name, "doc": doc,
                 "params": parameters(doc), "line": function.__code__.co_firstlineno}
        result = returns(doc)
        if result:
            entry["returns"] = result
        methods.append(entry)
    methods.sort(key=lambda m: m["line"])
    doc = inspect.getdoc(cls) or ""
    return {"ok": True, "module": {"name": "%s.%s" % (category, name), "description": doc.split("\n")[0].strip(),
                                   "doc": doc, "methods": methods}}


def main(argv):
    if len(argv) == 3 and argv[1] == "serve":
        serve(argv[2])
        return 0
    if len(argv) == 5 and argv[1] == "inspect":
        channel = Channel(take_stdout())
        sys.stdout = sys.stderr
        try:
            answer = describe(argv[2], argv[3], argv[4])
        except BaseException as error:
            answer = {"ok": False, "kind": "inspect", "error": "%s: %s" % (type(error).__name__, error)}
        channel.send(plain(answer))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
