/// The part of docs/modules.md about custom modules and the module protocol, which
/// `workflow modules --markdown` prints after the built-in reference.
extension ModulesCommand {
    static let customModulesMarkdown = #"""

        ## Custom modules

        Besides the built-in modules above, a workflow can call **custom modules**: Python classes
        written the way WorkFlow v0.0.3 ("the seed") wrote its modules, which run here unchanged, and
        executables in any language that speak the module protocol below.

        ### Python modules

        A module `category.Name` is a file `Name.py` holding a class `Name`. WorkFlow builds the class
        with one argument, a logger, for every step, and calls the step's method with the run's
        context and the step's resolved parameters:

        ```python
        class Test(object):
            """Procedures for testing."""

            def __init__(self, logger):
                self.logger = logger

            def example(self, context, cfgs):
                """Echo a parameter.

                Args:
                    param1 (str): The value to return
                    param2 (int): Optional number (default: 0)

                Returns:
                    dict: {"status": true, "data": param1}
                """
                self.logger.info("example got %s", cfgs["param1"])
                return {"status": True, "data": cfgs["param1"]}
        ```

        A step calls it as `{"name": "echo", "mod": "test.Test", "method": "example", "params": {"param1": "@fetch.data"}}`.

        - **Where they live.** Sources are stored in the database with versions, so every node of
          a cluster runs the same code. Create and edit them on the Modules pages of the web UI,
          with `POST /api/v1/modules` and `PUT /api/v1/modules/<category>.<Name>`, or bring a seed
          installation over with `workflow import-seed` (see
          [migrating-from-workflow-py.md](migrating-from-workflow-py.md)). Before a run uses them,
          a node writes the sources to `$WORKFLOW_HOME/modules/.cache/tree-<hash>/<category>/<Name>.py`,
          one folder per set of sources keyed by their hashes.
        - **Saving** runs the seed's introspection in a separate `python3` process (a module's
          top-level code never runs inside the server): the class docstring's first line is the
          description; methods are the public functions taking `(self, context, <params>)` (or two
          arguments and an `Args:` block); each `name (type): description` line of `Args:` is a
          parameter — `str` → string, `int`/`float` → number, `bool` → boolean, `dict`/`list` →
          JSON, anything else → any type; "optional" in the description, or a trailing
          `(default: X)`, makes it optional with that default. The editor's method pickers and
          parameter forms, and validation of required parameters, use what it finds. Types are
          advice for the editor only: the seed's modules did not enforce them, so validation
          does not either. A **syntax error refuses the save** with its line and column; a
          module that fails to import on this node (a missing pip package) is saved and shown
          with the error, and cannot be called until that is fixed.
        - **One Python child per run.** The first custom step of a run starts Python (`python3` from
          the server's `PATH`, or the `modules.python` setting; working directory `$WORKFLOW_HOME`); it serves every custom Python step
          of that run and ends when the run ends, however it ends. Module files are imported
          once per run, and `context` is one dict for the whole run: it holds the results of the
          steps that finished before (built-in ones included), `var` (the workflow's variables
          after run inputs) and `__trigger_by__`, and whatever the run's modules put there — a
          module may keep an open connection in `context["__my_con__"]` for later steps, as the
          seed's modules did. Steps in parallel branches take turns in that one child.
        - **Results.** The returned value (normally a dict with `status`) is the step's result,
          referenced by later steps as `@step.key`. Values JSON cannot hold (objects, dates,
          `NaN`) become their `str()`, as the seed stored them. A result with `"status": false`
          fails the step, its `error` (or `msg`) text becoming the step's error.
        - **Errors.** An exception fails the step; its error is the exception (`ValueError: ...`)
          followed by the Python traceback from the module's frames.
        - **Logs.** Lines written with the logger are the step's log lines at their level;
          `print()` and anything written to stdout or stderr (also by child processes) become log
          lines too and never disturb the protocol.
        - **Standard streams.** A module's stdin is empty (`/dev/null`), so neither it nor a
          program it starts can take WorkFlow's requests; output longer than 64 KiB per line
          arrives in pieces. A module that closes or redirects its stdout gets it back for the
          next step.
        - **Timeouts and cancellation.** A step's `timeout`, or cancelling the run, kills the child
          and its process group at once. A later step of the same run (after `on_error:
          continue`) starts a new child, without the state the old one kept, and its log says so.
        - **When the run ends** the child's stdin closes and it exits; whatever it or its modules
          started and left running (its process group) is stopped then too — unlike the seed,
          where background processes a module started outlived the run. If the server itself
          dies, the child notices within a second and stops its group.
        - **Imports.** A module imports the others as `category.Name` (`from test.Helpers import
          Helpers`), also when a category shares its name with a Python package (`test`, `json`).
          The seed's own modules (`common.DataTransformer`, `mysql.MySQL`, ...) are built into
          WorkFlow in Swift, so Python code that imports them does not find them.
        - **Python packages** a module needs (`pymysql`, `requests`, ...) must be installed for that
          interpreter; to keep them apart from the system's, make a virtual environment and set
          `modules.python` (or `WORKFLOW_PYTHON`) to its `bin/python3`.

        - **Who can run code.** Saving or restoring a module runs its code (introspection imports
          it), as a step calling it does, with the server's user and environment: only users
          allowed to change workflows (administrators) may save modules, like those who may write
          `common.Bash` steps. Workflows can only call the methods introspection found.

        ### Executable modules

        Any executable file at `$WORKFLOW_HOME/modules/<category>/<Name>` (with or without an
        extension, but not `.py`) is the module `category.Name` on that node, when it speaks the
        protocol below. It is asked to `describe` itself when the server starts or the file
        changes; like Python modules it is started once per run, on first use, and ends with the
        run. Executables are files of one node, not stored in the database (nor in backups):
        install them on every node that runs their workflows. A stored Python module of the same
        name wins over an executable.

        ### The module protocol

        WorkFlow and a module child talk in **JSON lines**: one JSON object per line, UTF-8, on the
        child's stdin (requests) and stdout (messages). Lines on stdout that are not such objects
        are log lines of the request being served; lines on stderr are warnings in that log.
        Requests are sent one at a time: the next comes after the answer to the last.

        | direction | message | meaning |
        |---|---|---|
        | → child | `{"type": "call", "id": 7, "module": "ops.Greet", "method": "hello", "step": "greet", "params": {...}, "context": {...}}` | run a method; `context` holds only the entries that changed since the last request (earlier results, `var`, `__trigger_by__`) |
        | → child | `{"type": "describe", "id": 1}` | executables only: say what you offer |
        | child → | `{"type": "log", "id": 7, "level": "info", "message": "..."}` | a log line of request 7; levels `debug`, `info`, `warning`, `error` |
        | child → | `{"type": "result", "id": 7, "result": {"status": true, ...}}` | the method's result |
        | child → | `{"type": "error", "id": 7, "error": "ValueError: ...", "traceback": "..."}` | the method failed |
        | child → | `{"type": "description", "id": 1, "module": {"description": "...", "methods": [{"name": "hello", "label": "...", "params": [{"name": "who", "type": "string", "required": true, "desc": "...", "default": ...}], "returns": {"type": "dict", "desc": "..."}}]}}` | the answer to `describe`; types as in introspection (`string`, `number`, `boolean`, `json`, `ref`) |
        | child → | `{"type": "ready", "protocol": 1, "stderr_sync": true}` | optional greeting. With `stderr_sync`, the child writes the line `\0workflow-sync <id>\0` to stderr before each answer, and WorkFlow holds the answer until it has read that line, so every stderr line of a call lands in that call's log (stdout and stderr are separate pipes, read side by side) |

        When its stdin closes, the child should exit; one that does not is killed two seconds later.

        A complete module in shell (it needs `jq`), installed as
        `$WORKFLOW_HOME/modules/ops/Greet` with `chmod +x`:

        <!-- example: ops/Greet -->
        ```sh
        #!/bin/sh
        # ops.Greet: a WorkFlow module in shell. One JSON request per line in, JSON lines out.
        while IFS= read -r request; do
          case "$(printf '%s' "$request" | jq -r .type)" in
          describe)
            printf '%s' "$request" | jq -c '{type: "description", id: .id, module: {
              description: "Greets people.",
              methods: [{name: "hello", label: "Say hello to someone.",
                         params: [{name: "who", type: "string", required: true, desc: "Who to greet"}]}]}}' ;;
          call)
            printf '%s' "$request" | jq -c '{type: "log", id: .id, level: "info", message: ("greeting " + .params.who)}'
            printf '%s' "$request" | jq -c 'if .method == "hello"
              then {type: "result", id: .id, result: {status: true, greeting: ("hello " + .params.who)}}
              else {type: "error", id: .id, error: ("no method " + .method)} end' ;;
          esac
        done
        ```

        A step `{"name": "greet", "mod": "ops.Greet", "method": "hello", "params": {"who": "@var.name"}}`
        then returns `{"status": true, "greeting": "hello ..."}`.

        """#
}
