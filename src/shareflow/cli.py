"""The ``shareflow`` command."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import pytest

from shareflow import launcher, matrix, reachability, summary
from shareflow.apps.locators import ANDROID_KEYS, IOS_KEYS, to_appium
from shareflow.artifacts import SCREENSHOT_MODES, VIDEO_MODES
from shareflow.capture import capture as take_template
from shareflow.devices import PLATFORMS, DevicesError, load
from shareflow.errors import UsageError
from shareflow.evidence import annotate, png_bytes, scores_text
from shareflow.pool import select
from shareflow.providers import build_name
from shareflow.session import SessionError, open_driver
from shareflow.vision.files import Matcher, batch_case, parse_resolution, result
from shareflow.vision.match import DEFAULT_THRESHOLD, TemplateError
from shareflow.vision.ocr import text_agreement
from shareflow.vision.template_text import cache_path, save_words
from shareflow.vision.templates import TemplateLibrary, project_library, read_image, read_meta, shipped_library

USAGE_ERROR = 2
E2E = Path("tests/e2e")


def fail(message: str) -> NoReturn:
    """Print one clear message and exit with the usage-error code."""
    click.echo(f"shareflow: {message}", err=True)
    sys.exit(USAGE_ERROR)


class _Command(click.Group):
    """The ``shareflow`` group: a usage error is one line (``shareflow: ...``) and exit 2, like every bad input."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.exceptions.Abort:
            click.echo("shareflow: aborted", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            command = exc.ctx.command_path.partition(" ")[2] if isinstance(exc, click.UsageError) and exc.ctx else ""
            fail(f"{command}: {exc.format_message()}" if command else exc.format_message())


@click.group(cls=_Command)
def main() -> None:
    """End-to-end tests of cross-app share flows on phones."""


@main.command()
@click.option("--devices", "devices_file", default="devices.yaml", show_default=True, type=click.Path(path_type=Path))
@click.option("--scenario", type=click.Path(path_type=Path), help="Scenario file of the virtual farm.")
@click.option("--port", default=4723, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
def sim(devices_file: Path, scenario: Path | None, port: int) -> None:
    """Serve the embedded virtual farm's phones of DEVICES over the Appium protocol."""
    try:
        load(devices_file)
    except DevicesError as exc:
        fail(str(exc))
    argv = [sys.executable, "-m", "shareflow_sim", "--devices", str(devices_file), "--port", str(port)]
    if scenario is not None:
        argv += ["--scenario", str(scenario)]
    os.execv(sys.executable, argv)


def _is_test_path(arg: str, before: str) -> bool:
    """Whether a pytest argument names tests (a file, ``file::test`` or a folder), not an option's value."""
    if arg.startswith("-") or not Path(arg.split("::")[0]).exists():
        return False
    return arg.endswith(".py") or "::" in arg or not (before.startswith("-") and "=" not in before)


def _has_option(args: tuple[str, ...], name: str) -> bool:
    return any(a == name or a.startswith(name + "=") for a in args)


def _workers_given(args: tuple[str, ...]) -> bool:
    """Whether the pytest arguments say how workers run: -n, --numprocesses, --tx, --pdb, or no xdist."""
    if any(_has_option(args, name) for name in ("--numprocesses", "--tx", "--pdb")):
        return True
    if any(a.startswith("-n") and not a.startswith("--") for a in args):
        return True
    return any(a in ("no:xdist", "-pno:xdist") for a in args)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--devices", "devices_file", default="devices.yaml", show_default=True, type=click.Path(path_type=Path))
@click.option("--device", "names", multiple=True, help="Run on this phone only (repeatable).")
@click.option("--platform", type=click.Choice(PLATFORMS), help="Run on the phones of this platform only.")
@click.option("--scenario", type=click.Path(path_type=Path), help="Scenario file of the embedded farm.")
@click.option("--output", default="test-results", show_default=True, type=click.Path(path_type=Path))
@click.option("--screenshot", type=click.Choice(SCREENSHOT_MODES), help="Step screenshots (default: on).")
@click.option("--video", type=click.Choice(VIDEO_MODES), help="Record each test (default: off).")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(
    devices_file: Path,
    names: tuple[str, ...],
    platform: str | None,
    scenario: Path | None,
    output: Path,
    screenshot: str | None,
    video: str | None,
    pytest_args: tuple[str, ...],
) -> None:
    """Run the share-flow suites (tests/e2e) and print a summary.

    Any other argument goes to pytest: -n 4, -k group, --alluredir DIR, --junitxml F, ... Without -n, the
    tests run on a pytest-xdist worker per selected phone (as many as the machine allows; -n 0 runs them
    one at a time).
    """
    try:
        devices = select(load(devices_file), names, platform)
        if scenario is not None or any(d.embedded for d in devices):
            launcher.check(devices_file, scenario)
    except UsageError as exc:  # the pool, the selection or the farm's inputs
        fail(str(exc))
    paths = [a for a, before in zip(pytest_args, ("", *pytest_args), strict=False) if _is_test_path(a, before)]
    if not paths and not E2E.is_dir():
        fail(f"no {E2E}/ here: run shareflow from the project folder or name the tests to run")
    if _has_option(pytest_args, "--shareflow-output"):  # the plugin's name: the summary would look elsewhere
        fail("--shareflow-output: shareflow run takes the folder as --output PATH")
    if output.exists() and not output.is_dir():
        fail(f"--output {output}: is a file, not a folder")
    output = output.resolve()  # nothing in it is touched here: the plugin clears an earlier run's records
    args = [] if paths else [str(E2E)]  # once pytest has taken every option
    args += ["--phones-file", str(devices_file.resolve()), "--shareflow-output", str(output)]
    args += [arg for name in names for arg in ("--phone", name)]
    for option, value in (("--phone-platform", platform), ("--shareflow-screenshot", screenshot)):
        args += [option, value] if value else []
    args += ["--shareflow-video", video] if video else []
    args += [] if _workers_given(pytest_args) else ["-n", "auto"]  # a worker per phone: see the plugin
    args += list(pytest_args)
    allure_dir: Path | None = None
    if not _has_option(pytest_args, "--alluredir"):
        allure_dir = output / "allure-results"
        args += ["--alluredir", str(allure_dir)]
    if scenario is not None:
        args += ["--sim-scenario", str(scenario.resolve())]
    code = pytest.main(args)
    if code == pytest.ExitCode.USAGE_ERROR:  # pytest said what was wrong, in one line: no summary of nothing
        sys.exit(USAGE_ERROR)
    click.echo(summary.render(summary.read(output), output, allure_dir))
    sys.exit(int(code))


@main.command("matrix")
@click.option("--output", default="test-results", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--history", "history_dir", required=True, type=click.Path(path_type=Path), help="Folder kept across runs."
)
@click.option("--devices", "devices_file", default="devices.yaml", show_default=True, type=click.Path(path_type=Path))
@click.option("--label", help="The run's name (default: $SHAREFLOW_BUILD, else the GitHub Actions run).")
@click.option("--report-url", default="", help="The run's Allure report, linked from the page (a URL or a path).")
def matrix_command(output: Path, history_dir: Path, devices_file: Path, label: str | None, report_url: str) -> None:
    """Build the connectivity matrix of the run in OUTPUT and compare it with the runs before.

    Writes OUTPUT/matrix.json, OUTPUT/matrix.html and its thumbnails, adds the run to
    HISTORY/matrix-history.jsonl and prints each cell that changed. Exit 2 for bad input.
    """
    try:
        devices = load(devices_file)
        runs = matrix.history.load(history_dir)
        table = matrix.build(output, devices, build_name() if label is None else label)
    except UsageError as exc:  # the pool, the history or a result file
        fail(str(exc))
    table.report_url = report_url
    matrix.history.compare(table, runs)
    written = matrix.report.write(table, output)
    matrix.history.record(history_dir, table, runs)
    click.echo("\n".join(matrix.report.summary(table)))
    click.echo(f"wrote {written[0]}, {written[1]}; history {history_dir / matrix.history.FILE}")


@main.group("devices")
def devices_group() -> None:
    """The phones of the pool (devices.yaml)."""


@devices_group.command("check")
@click.option("--devices", "devices_file", default="devices.yaml", show_default=True, type=click.Path(path_type=Path))
@click.option("--device", "names", multiple=True, help="Only this phone (repeatable).")
@click.option("--platform", type=click.Choice(PLATFORMS), help="Only the phones of this platform.")
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds each status request may take.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per device instead of a table.")
@click.option(
    "--quick",
    is_flag=True,
    help="Only status, busy and a session opened and quit: skip the app versions, WeChat and node-tree checks.",
)
@click.option(
    "--templates",
    "template_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A template folder looked in before the shipped library (repeatable), to recognise WeChat's chat list.",
)
def devices_check(
    devices_file: Path,
    names: tuple[str, ...],
    platform: str | None,
    timeout: float,
    as_json: bool,
    quick: bool,
    template_dirs: tuple[Path, ...],
) -> None:
    """Check that each selected phone is usable now.

    For each: does its endpoint answer GET /status, is the phone busy, and does the
    endpoint accept its capabilities (a session opened; not tried on a busy phone).
    Then, unless --quick, in that session: the installed Taobao and WeChat versions
    against devices.yaml's apps (mobile: listApps; on Android the version name needs
    Appium's --allow-insecure uiautomator2:adb_shell, else it is "?"), WeChat signed
    in (its chat list recognised within 15 s), WeChat's node tree not empty (else a
    hint to turn on an accessibility service), and on iOS WebDriverAgent's runner
    bundle id. Exit 0 when every selected phone is usable; 1 when one is unreachable,
    busy, refused or not-ready (an app version differs, WeChat is signed out, its
    tree is empty where the entry's locators need it, the runner is missing); 2 for
    bad input.
    """
    try:
        chosen = select(load(devices_file), names, platform)
        if any(d.embedded for d in chosen):
            launcher.check(devices_file, None)
    except UsageError as exc:
        fail(str(exc))
    project = project_library(devices_file.resolve().parent)  # shareflow calibrate's libraries, as the suites use
    templates = None if quick else TemplateLibrary(*template_dirs, *project, shipped_library())
    verdicts = reachability.check(chosen, devices_file, timeout, templates)
    click.echo("\n".join(v.as_json() for v in verdicts) if as_json else reachability.table(verdicts))
    sys.exit(0 if all(v.usable for v in verdicts) else 1)


def _numbers(text: str, option: str, names: tuple[str, ...]) -> tuple[float, ...]:
    """``--rect 1,2,3,4`` / ``--inner 60,44``: that many numbers; sizes positive, places not negative."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        fail(f"{option} {text!r}: expected {','.join(names)} as comma-separated numbers")
    if len(values) != len(names):
        fail(f"{option} {text!r}: expected {len(names)} numbers ({','.join(names)}), got {len(values)}")
    for name, value in zip(names, values, strict=True):
        if value < 0 or (name in ("w", "h", "W", "H") and value == 0):
            fail(f"{option} {text!r}: {name} must be {'positive' if name in 'wWhH' else 'zero or more'}, got {value:g}")
    return values


STATE_RE = re.compile(r"[a-z0-9_]+/[a-z0-9_]+")  # app/state, as the template library names them


def _state_path(state: str, templates: Path) -> None:
    """Refuse a STATE that is not ``app/state`` (it would be written outside the templates folder)."""
    if not STATE_RE.fullmatch(state):
        fail(f"STATE {state!r}: expected app/state in lower case letters, digits and _ (e.g. wechat/new_state)")
    if templates.exists() and not templates.is_dir():
        fail(f"--templates {templates}: is a file, not a folder")


def _locator(locator: tuple[str, ...], platform: str) -> dict[str, str]:
    """``--locator KEY=VALUE`` pairs, each key one the platform's locators know."""
    known = ANDROID_KEYS if platform == "android" else IOS_KEYS
    selector = {}
    for item in locator:
        key, equals, value = item.partition("=")
        if not equals or not value:
            fail(f"--locator {item!r}: expected KEY=VALUE")
        if key not in known:
            fail(f"--locator {item!r}: unknown key {key!r} on {platform} (known: {', '.join(known)})")
        selector[key] = value
    return selector


@main.command()
@click.argument("state")
@click.option("--device", "device_name", required=True, help="Phone of the pool to capture on.")
@click.option("--devices", "devices_file", default="devices.yaml", show_default=True, type=click.Path(path_type=Path))
@click.option("--url", help="Appium endpoint (required for embedded phones: the URL `shareflow sim` printed).")
@click.option(
    "--locator",
    "locator",
    multiple=True,
    help="Selector KEY=VALUE: text, desc, id, class (Android); label, type, name (iOS).",
)
@click.option("--rect", help="x,y,w,h in element-rect units (pixels on Android, points on iOS).")
@click.option("--inner", help="W,H in dp/points: cut this much around the element's centre instead of trimming.")
@click.option("--templates", default="screenshots", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--threshold", type=click.FloatRange(0, 1), help=f"Confidence needed (default: kept, else {DEFAULT_THRESHOLD})."
)
@click.option("--text", default="", help="The words the template shows (for reports and OCR checks).")
def capture(
    state: str,
    device_name: str,
    devices_file: Path,
    url: str | None,
    locator: tuple[str, ...],
    rect: str | None,
    inner: str | None,
    templates: Path,
    threshold: float | None,
    text: str,
) -> None:
    """Record or refresh the template of STATE ("app/state") from what the phone shows now."""
    try:
        device = next((d for d in load(devices_file) if d.name == device_name), None)
    except DevicesError as exc:
        fail(str(exc))
    if device is None:
        fail(f"{devices_file}: no device named {device_name!r}")
    if (rect is None) == (not locator):
        fail("give either --locator KEY=VALUE (repeatable) or --rect x,y,w,h")
    _state_path(state, templates)
    selector = _locator(locator, device.platform)
    given = _numbers(rect, "--rect", ("x", "y", "w", "h")) if rect is not None else None
    inner_size = _numbers(inner, "--inner", ("W", "H")) if inner is not None else None
    endpoint = url or launcher.endpoint(device)
    if endpoint is None:
        fail(f"{device_name} is an embedded phone: start `shareflow sim` and pass its URL with --url")
    try:
        driver = open_driver(device, endpoint)
    except SessionError as exc:
        fail(str(exc))
    try:
        if given is None:
            found = driver.find_elements(*to_appium(device.platform, selector))
            if not found:
                fail(f"{device_name}: nothing matches {selector} on the screen now")
            r = found[-1].rect
            box: tuple[float, ...] = (r["x"], r["y"], r["width"], r["height"])
        else:
            box = given
        path = take_template(
            driver,
            device.platform,
            state,
            templates,
            rect=(round(box[0]), round(box[1]), round(box[2]), round(box[3])),
            inner=(inner_size[0], inner_size[1]) if inner_size else None,
            threshold=threshold,
            text=text,
            source={"device": device_name, "locator": " ".join(locator) or f"rect {rect}"},
        )
    finally:
        driver.quit()
    click.echo(f"wrote {path}, {path.with_suffix('.yaml')} and {cache_path(path)}")


@main.command("read-text")
@click.option("--templates", default="screenshots", show_default=True, type=click.Path(path_type=Path))
def read_text(templates: Path) -> None:
    """Read the words every template shows and cache them beside it (<state>.ocr.yaml).

    Caches still valid (same image, same OCR model) are kept. `shareflow capture` writes a template's
    cache as it records it; run this after adding templates by hand or updating RapidOCR.
    """
    pngs = sorted(templates.rglob("*.png")) if templates.is_dir() else []
    if not pngs:
        fail(f"--templates {templates}: no templates (*.png) in it")
    for png in pngs:
        sidecar = png.with_suffix(".yaml")
        try:
            declared = read_meta(sidecar).get("text", "") if sidecar.is_file() else ""
            words = save_words(png, read_image(png)[0])
        except TemplateError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{cache_path(png)}: cannot write: {exc.strerror}")
        note = f" (declared: {declared})" if declared and text_agreement(declared, words.text) < 1 else ""
        click.echo(f"{png.relative_to(templates)}: {words.text or '(no text)'}{note}")


@main.command()
@click.argument("screen", required=False, type=click.Path(path_type=Path))
@click.argument("template", required=False, type=click.Path(path_type=Path))
@click.option(
    "--batch",
    type=click.Path(path_type=Path),
    help='JSON lines {"screen", "template", "capture_resolution"?, "density"?}.',
)
@click.option("--capture-resolution", help="WxH of the screen the template was cut from (default: its .yaml).")
@click.option("--threshold", type=click.FloatRange(0, 1), help="Confidence needed (default: its .yaml, else 0.85).")
@click.option(
    "--density", type=click.FloatRange(0, min_open=True), help="The screen's pixels per dp (point on iOS), if known."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object, or one line per batch case.")
@click.option(
    "--annotate",
    "annotate_to",
    type=click.Path(path_type=Path),
    help="Write the screen with the box and near miss here.",
)
def match(
    screen: Path | None,
    template: Path | None,
    batch: Path | None,
    capture_resolution: str | None,
    threshold: float | None,
    density: float | None,
    as_json: bool,
    annotate_to: Path | None,
) -> None:
    """Find TEMPLATE on SCREEN (PNG files). Exit 0 found, 1 not found, 2 bad input.

    With --batch, match every case of a JSON-lines file and print one result per case, in order
    (exit 0 when every case could be matched, found or not; 2 when one could not).
    """
    matcher = Matcher()
    if batch is not None:
        if screen or template or annotate_to:
            fail("--batch takes no SCREEN, TEMPLATE or --annotate")
        sys.exit(_match_batch(matcher, batch, threshold, as_json))
    if screen is None or template is None:
        fail("give SCREEN and TEMPLATE, or --batch CASES.jsonl")
    try:
        resolution = parse_resolution(capture_resolution) if capture_resolution else None
        found, image = matcher.match(screen, template, resolution, threshold, density)
    except TemplateError as exc:
        fail(str(exc))
    if annotate_to is not None:
        annotate_to.parent.mkdir(parents=True, exist_ok=True)
        annotate_to.write_bytes(png_bytes(annotate(image, found, template.stem)))
    if as_json:
        click.echo(json.dumps(result(found)))
    else:
        where = f"at {list(found.box)}" if found.box else f"best place {list(found.best or ())}"
        verdict = "found" if found.found else "not found"
        click.echo(
            f"{verdict}: confidence {found.confidence:.2f} {where}, scale {found.scale:.3f}, "
            f"{found.elapsed_ms:.0f} ms ({scores_text(found.scores)})"
        )
    sys.exit(0 if found.found else 1)


def _match_batch(matcher: Matcher, batch: Path, threshold: float | None, as_json: bool) -> int:
    try:
        lines = batch.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"{batch}: cannot read: {exc.strerror}")
    errors = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = batch_case(line)
            found = result(
                matcher.match(case.screen, case.template, case.capture_resolution, threshold, case.density)[0]
            )
        except TemplateError as exc:  # the line's own fault (a field, a file it names): said with its number
            errors += 1
            message = f"{batch}:{number}: {exc}"
            click.echo(f"shareflow: {message}", err=True)
            found = {"found": False, "confidence": None, "box": None, "scale": None, "elapsed_ms": None}
            found["error"] = message
        click.echo(json.dumps(found) if as_json else " ".join(f"{k}={v}" for k, v in found.items()))
    return USAGE_ERROR if errors else 0


@main.command("calibrate")
@click.option("--device", "device_name", required=True, help="The phone of the pool to calibrate.")
@click.option("--devices", "devices_file", default="devices.yaml", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--out", default="screenshots", show_default=True, type=click.Path(path_type=Path), help="The libraries' folder."
)
@click.option(
    "--rect",
    "rects",
    multiple=True,
    help="STATE=x,y,w,h: where STATE shows when neither its element nor its words find it (repeatable; "
    "pixels on Android, points on iOS).",
)
@click.option("--per-profile", is_flag=True, help="Write the library of the phone's profile (model), not its own.")
@click.option("--url", help="Appium endpoint (default: the phone's; the embedded farm is started for its phones).")
@click.option("--scenario", type=click.Path(path_type=Path), help="Scenario of the embedded farm.")
@click.option(
    "--data",
    "data_file",
    default="tests/e2e/data.yaml",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The suites' data: the Taobao item shared and the group it goes to.",
)
def calibrate_command(
    device_name: str,
    devices_file: Path,
    out: Path,
    rects: tuple[str, ...],
    per_profile: bool,
    url: str | None,
    scenario: Path | None,
    data_file: Path,
) -> None:
    """Record a template library on one phone by walking the suites' flows on it.

    The flows: the reporter's (share the item into the group, tap the link, buy), its Tao password copied
    into Taobao, and a link of each kind of --data sent into the group and tapped.

    At each state the flow waits for, the template is cut where the phone shows it: the element's box,
    else the state's words read by OCR, else --rect STATE=x,y,w,h (else, in a terminal, you are asked).
    Each new template must find itself and no other state's screen. Writes
    OUT/<device>/<platform>/<app>-<version>/ (OUT/<profile>/... with --per-profile) and
    calibrate-report.json, which names the states not reached. Exit 0 when the walk went through and
    every template recorded held, 1 otherwise, 2 for bad input (nothing is written then).
    """
    import tempfile

    from shareflow import calibrate as cal
    from shareflow.vision.templates import TemplateLibrary, shipped_library

    try:
        pool = load(devices_file)
    except DevicesError as exc:
        fail(str(exc))
    device = next((d for d in pool if d.name == device_name), None)
    if device is None:
        fail(f"--device {device_name}: no such phone in {devices_file} (its phones: {', '.join(d.name for d in pool)})")
    if out.exists() and not out.is_dir():
        fail(f"--out {out}: is a file, not a folder")
    shipped = shipped_library()
    mine = [out] if out.is_dir() and not (shipped.is_dir() and out.samefile(shipped)) else []
    library = TemplateLibrary(*mine, shipped)
    states = library.states(device.platform)
    try:
        data = cal.read_data(data_file)
        given = cal.parse_rects(rects, states)
        if per_profile:
            cal.library_root(out, device, per_profile)
        if device.embedded and url is None:
            launcher.check(devices_file, scenario)
    except UsageError as exc:
        fail(str(exc))
    with tempfile.TemporaryDirectory(prefix="shareflow-calibrate-") as folder:
        work = Path(folder)
        farm = launcher.start(devices_file, scenario, work / "farm") if device.embedded and url is None else None
        try:
            endpoint = url or (farm.url if farm is not None else launcher.endpoint(device))
            assert endpoint is not None
            try:
                driver = open_driver(device, endpoint)
            except SessionError as exc:
                click.echo(f"shareflow: {device_name}: {exc}", err=True)
                sys.exit(1)
            try:
                cal.check_rects(given, cal.screen_size(driver))
            except UsageError as exc:
                driver.quit()
                fail(str(exc))
            ask = (
                cal.asker(work, lambda q: str(click.prompt(q, default="", show_default=False)))
                if sys.stdin.isatty()
                else None
            )
            try:
                with cal.calibrating_phone(device, driver, library, given, work, ask) as (phone, calibration):
                    click.echo(f"{device_name}: walking the suites' flows")
                    end = cal.walk(phone, data, click.echo)
                    result = cal.write(calibration, out, per_profile, end, states)
            finally:
                driver.quit()
        finally:
            if farm is not None:
                farm.stop()
    report = result.report
    click.echo(f"wrote {result.library} ({len(report['recorded'])} templates) and {result.library / cal.REPORT}")
    for entry in report["recorded"]:
        click.echo(f"  recorded  {entry['state']}: {entry['located_by']}")
    for entry in report["rejected"]:
        click.echo(f"  rejected  {entry['state']}: {entry['why']}")
    click.echo(f"  not reached: {', '.join(e['state'] for e in report['not_reached']) or 'none'}")
    if report["kept"]:
        click.echo(f"  kept from an earlier calibration: {', '.join(e['state'] for e in report['kept'])}")
    if report["walk"] != "completed":
        click.echo(f"the walk {report['walk']}", err=True)
    sys.exit(0 if result.complete else 1)
