"""diagnose build on real pasted logs (corpus/build): wrappers, causes before consequences, tails."""

from __future__ import annotations

import pytest

from diagnose.families.build.triage import error_lines, failed, failure_line, first_error
from diagnose.readers.buildlog import BuildLogFormat, parse_log, unwrap
from tests.families.build.test_build import run
from tests.support.cli import ROOT

CORPUS = ROOT / "corpus" / "build"


def corpus_log(case: str) -> str:
    return (CORPUS / case / "build.log").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("case", "fmt", "line", "starts"),
    [
        # Pages dashboard copy: time, a pipe, the text; the table's "-- | --" row is framing.
        ("pages-pipe-output-dir-supaflare-26", BuildLogFormat.CLOUDFLARE_PAGES, 6, "Error: Output"),
        # Pages download whose TABs became spaces in the issue.
        ("pages-internal-error-rspress-3376", BuildLogFormat.CLOUDFLARE_PAGES, 10, "Failed: an"),
        # A Markdown quote of a Pages log ("> " before the time).
        (
            "pages-quoted-output-dir-sveltekit-4389",
            BuildLogFormat.CLOUDFLARE_PAGES,
            6,
            "Error: Output",
        ),
        (
            "vercel-pnpm-outdated-saleor-storefront-445",
            BuildLogFormat.VERCEL,
            9,
            "ERR_PNPM_OUTDATED",
        ),
        ("codebuild-npm-enoent-package-json-adf-291", BuildLogFormat.CODEBUILD, 8, "npm ERR! code"),
        ("buildkit-bun-frozen-cdxgen-1030", BuildLogFormat.BUILDKIT, 4, "error: lockfile had"),
        ("turbo-next-lint-prettier-error-calcom-3085", BuildLogFormat.RAW, 13, "84:2  Error:"),
        (
            "render-invalid-url-undefined-taxonomy-41",
            BuildLogFormat.RAW,
            1,
            "TypeError [ERR_INVALID",
        ),
    ],
)
def test_wrappers_are_stripped_and_the_cause_found(
    case: str, fmt: BuildLogFormat, line: int, starts: str
) -> None:
    log = parse_log(corpus_log(case))
    assert log.format is fmt
    found = first_error(log)
    assert found is not None and found.line.number == line
    assert found.line.text.strip().startswith(starts)


def test_unwrap_strips_each_framing_once() -> None:
    texts, kinds = unwrap(
        [
            "[21:04:36.632]  ERR_PNPM_OUTDATED_LOCKFILE  Cannot install",
            "1:39:49 PM: Failing build: Failed to build site",
            "[Container] 2022/05/09 09:26:20 Phase complete: BUILD State: FAILED",
            "49 | [Container] 2022/05/09 09:26:20 Phase complete: BUILD State: FAILED",
            "16:05:33.458  \t196:47  Warning: Unexpected any.",
        ]
    )
    assert texts == [
        " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install",
        "Failing build: Failed to build site",
        "Phase complete: BUILD State: FAILED",
        "Phase complete: BUILD State: FAILED",
        "196:47  Warning: Unexpected any.",
    ]
    assert kinds == ["vercel", "netlify", "codebuild", "codebuild", "dashboard"]


def test_a_copied_job_log_without_timestamps_fails_on_its_exit_line() -> None:
    # "Error: Process completed with exit code 1." is a failure marker with or without the
    # runner's timestamps (the web UI copy has none).
    log = parse_log(corpus_log("gha-copied-pnpm-outdated-saas-boilerplate-186"))
    assert log.format is BuildLogFormat.RAW and failed(log)
    report = failure_line(log)
    assert report is not None and report.text.startswith("Error: Process completed")


@pytest.mark.parametrize(
    "case",
    [
        "next-node-too-old-next-learn-817",  # "... is required." has no error word
        "next-on-pages-edge-runtime-opennext-398",
        "mocha-assertion-tests-failed-vscode-flix-382",  # AssertionError: no boundary in the word
        "gulp-typescript-7006-angular-seed-618",  # file.ts (l,c): message (7006)
    ],
)
def test_errors_without_the_word_error_still_fail(case: str) -> None:
    assert failed(parse_log(corpus_log(case)))


@pytest.mark.parametrize(
    "case",
    [
        "healthy-yarn-incorrect-peer-tfnsw-pids-1",
        "healthy-pnpm-missing-peer-tree-timed-frontend-738",  # "✕ missing peer" is a warning
        "healthy-npm-ebadengine-nested-node-rfc-217",
        "healthy-netlify-deprecation-warnings-istio-11971",
    ],
)
def test_scary_warnings_are_not_failures(case: str) -> None:
    assert not failed(parse_log(corpus_log(case)))


def test_the_window_starts_at_the_first_cause_and_stops_at_its_consequence() -> None:
    # Vercel prints its own "Error: Command ... exited with 1" after pnpm's error: the window
    # holds the cause and ends at that consequence.
    lines = error_lines(parse_log(corpus_log("vercel-pnpm-outdated-saleor-storefront-445")))
    assert any("ERR_PNPM_OUTDATED_LOCKFILE" in ln for ln in lines)
    assert lines[-1].startswith('Error: Command "pnpm install" exited with 1')


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # A network error inside a page's data fetch is the prerender failing, not the registry.
        ("next-prerender-enotfound-next-45713", "build.prerender-error"),
        # The old pnpm on a newer Node says ERR_PNPM_META_FETCH_FAIL: not a network error.
        ("gha-copied-action-setup-v2-skland-34", "build.pnpm-setup"),
        # tsc's message names a module; the stage that failed is still the type check.
        ("vue-cli-failed-to-compile-ts7006-rawmodel-16", "build.type-error"),
        # An unset URL variable, read while Next prerenders: the variable is the root cause.
        ("next-prerender-url-from-undefined-kubeedge-78", "build.missing-env"),
    ],
)
def test_the_cause_outranks_its_neighbours(case: str, expected: str) -> None:
    code, report, _ = run(str(CORPUS / case / "build.log"))
    assert code == 2
    assert report["findings"][0]["id"] == expected


def test_a_tail_only_log_says_so_and_asks_for_the_lines_above() -> None:
    code, report, _ = run(str(CORPUS / "netlify-tail-only-gatsby-19427" / "build.log"))
    assert code == 2
    top = report["findings"][0]
    assert top["id"] == "build.tail-only"
    assert "Failing build: Failed to build site" in top["message"]
    assert "above" in top["message"]
    assert report["facts"]["build.first_error"] is None


@pytest.mark.parametrize(
    "case",
    [
        "pages-oom-next-on-pages-309",
        "vercel-sigkill-rspress-3376",
        "netlify-bold-exit-127-gatsby-16570",
        "gha-copied-next-collect-invalid-url-next-63596",
        "pnpm-waku-rollup-resolve-throw-waku-700",
    ],
)
def test_messages_never_say_none(case: str) -> None:
    _, report, _ = run(str(CORPUS / case / "build.log"))
    for finding in report["findings"]:
        assert "none" not in finding["message"].lower().split(), finding["message"]


# Classes learned from the held-out batch of issue 15 (docs/accuracy.md): each test names the
# class, and the corpus case it was first seen on.


@pytest.mark.parametrize(
    ("case", "step", "starts"),
    [
        ("buildkit-pnpm-no-lockfile-gelda-180", "[dev 1/2] RUN pnpm i", "ERR_PNPM_NO_LOCKFILE"),
        ("buildkit-npm10-etimedout-isoflow-39", "[build 4/6] RUN npm install", "npm ERR! code"),
    ],
)
def test_buildkit_error_summary_names_the_step_and_drops_its_seconds(
    case: str, step: str, starts: str
) -> None:
    # " > [stage n/m] RUN cmd:" then "1.766 <output>": the step is named, its prefix goes, even
    # though most lines of the paste (the progress above) carry no prefix.
    found = first_error(parse_log(corpus_log(case)))
    assert found is not None
    assert found.line.step is not None and found.line.step.startswith(step)
    assert found.text.startswith(starts)


def test_buildkit_error_status_line_is_a_report_not_a_cause() -> None:
    # "=> ERROR [builder 6/7] RUN pnpm install" only says the step failed; with nothing else
    # pasted the log is a tail.
    log = parse_log(corpus_log("buildkit-error-step-tail-only-eliza-3428"))
    assert failed(log) and first_error(log) is None


def test_vite_build_failed_line_is_a_consequence_whatever_its_mark() -> None:
    # vite 6 prints "✗ Build failed in 28ms" (older ones "x ..."): the cause is below it.
    found = first_error(
        parse_log(corpus_log("vite6-build-failed-bare-error-files-downloadlimit-493"))
    )
    assert found is not None and found.text == "error during build: Error"


def test_node_process_warnings_are_noise() -> None:
    # "(node:7) [DEP0169] DeprecationWarning: ... prone to errors" is not the error.
    found = first_error(parse_log(corpus_log("buildkit-pnpm-outdated-lockfile-paperclip-426")))
    assert found is not None and found.text.startswith("ERR_PNPM_OUTDATED_LOCKFILE")


@pytest.mark.parametrize(
    "case",
    [
        "vercel-oom-trace-without-header-vercel-builder-564",  # V8's OOM frames, no FATAL header
        "vercel-no-output-dir-bare-readwise-vector-db-15",  # Vercel's error without its "Error: "
    ],
)
def test_a_fragment_without_error_words_still_fails(case: str) -> None:
    assert failed(parse_log(corpus_log(case)))


def test_a_bundler_asset_table_is_build_output() -> None:
    # Three lines of vite's asset report: checked (status ok), not "nothing a build tool wrote".
    code, report, _ = run(
        str(CORPUS / "healthy-netlify-vite-assets-ome-ngff-validator-8" / "build.log")
    )
    assert (code, report["status"]) == (0, "ok")


@pytest.mark.parametrize(
    ("case", "starts"),
    [
        # A line pasted in `code` and Netlify lines wrapped in **bold**: the Markdown goes.
        ("vercel-static-build-no-out-dir-devfind-155", "Error: No Output Directory"),
        ("netlify-bold-exit-127-gatsby-16570", "Error running command"),
    ],
)
def test_markdown_around_pasted_lines_is_not_quoted(case: str, starts: str) -> None:
    log = parse_log(corpus_log(case))
    assert log.lines[0].text.startswith(starts)


def test_an_exception_is_quoted_from_its_header_not_the_progress_before_it() -> None:
    # "info  - Collecting page data ..TypeError [ERR_INVALID_URL]: Invalid URL"
    found = first_error(parse_log(corpus_log("next-auth-invalid-url-empty-dub-99")))
    assert found is not None and found.text.startswith("TypeError [ERR_INVALID_URL]")


@pytest.mark.parametrize(
    "line",
    [
        "+ error-ex 1.3.2",
        "├─ error-ex@1.3.2",
        "└─ @types/is-error@2.0.1",
        "- eslint-plugin-error 1.0.0",
    ],
)
def test_a_package_named_error_in_an_install_list_is_noise(line: str) -> None:
    from diagnose.families.build.triage import ln_is_noise

    assert ln_is_noise(line)


@pytest.mark.parametrize(
    "line", ["error TS2307: Cannot find module 'x'", "npm error code ERESOLVE"]
)
def test_error_lines_are_not_package_lists(line: str) -> None:
    from diagnose.families.build.triage import ln_is_noise

    assert not ln_is_noise(line)
