"""Pathological inputs: time and peak memory of the corpus stage, and of YAML bombs.

::

    python bench/bench_pathological.py run [--sizes 1,10,50] [--cases a,b] [--timeout 900]
                                           [--source DIR] [--json OUT.json]
    python bench/bench_pathological.py yaml [--source DIR] [--json OUT.json]
    python bench/bench_pathological.py write BEFORE.json AFTER.json [--out bench/RESULTS.md]

``run`` generates one document per case and size (megabytes of text), puts
it alone in a folder and times :func:`coopthemes.load_corpus` on it in a child
process (after a warm-up on a small document, so that loading the language
models is not counted), with the document size limit raised above the
document. Each case is compared with ordinary prose of the same size: the
promise is that no input takes more than about twice as long as prose.
``yaml`` reads an alias bomb of a few hundred bytes as a configuration (in a scalar field),
as a codebook (in ``keywords``), as a gazetteer and as a relation cue file, in
child processes limited to 4 GB of address space, and reports time, peak
memory, the size of the error output and the first line of the error.
``--source`` points at another copy of the package's source root (e.g. an
older commit extracted with ``git archive``) to measure it instead.
``write`` turns the JSON of two runs (before and after) into the section of
``bench/RESULTS.md``. Nothing large is kept: inputs are generated in a
temporary folder and removed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = "## Pathological inputs"
MB = 1_000_000

_EN = ("The Minister of Public Security met his French counterpart in Hanoi on Tuesday to discuss "
       "cooperation against transnational crime, cybercrime and drug trafficking. Both sides agreed "
       "to share information, to train investigators together and to sign a new agreement next year. ")
_VI = ("Bộ trưởng Bộ Công an đã tiếp Đại sứ Pháp tại Hà Nội để trao đổi về hợp tác phòng chống tội phạm "
       "xuyên quốc gia, tội phạm mạng và ma túy. Hai bên nhất trí tăng cường trao đổi thông tin và đào tạo "
       "cán bộ điều tra. ")
_WORDS = "ministre police coopération sécurité formation drogue frontière enquête accord échange".split()


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _prose(unit: str, size: int) -> str:
    paragraph = unit * 4 + "\n\n"
    return _repeat(paragraph, size)


def _words_line(size: int) -> str:
    return _repeat(" ".join(_WORDS) + " ", size)


def _vi_line(size: int) -> str:
    return _repeat(_VI.replace(".", "").replace(",", ""), size)


def _nested_html(size: int) -> str:
    n = max(1, size // 11)
    return "<html><body>" + "<div>" * n + "Hợp tác an ninh." + "</div>" * n + "</body></html>"


#: name -> (file suffix, generator(size in characters) -> text, what it is)
CASES = {
    "prose_en": (".txt", lambda n: _prose(_EN, n), "English prose in paragraphs (baseline)"),
    "prose_vi": (".txt", lambda n: _prose(_VI, n), "Vietnamese prose in paragraphs (baseline)"),
    "line_words": (".txt", _words_line, "one line of words, no punctuation"),
    "line_words_vi": (".txt", _vi_line, "one line of Vietnamese, no punctuation"),
    "line_nospace": (".txt", lambda n: _repeat("coopération", n), "one word, no space"),
    "short_lines": (".txt", lambda n: _repeat("coopération\n", n), "a lowercase word on every line"),
    "abbreviations": (".txt", lambda n: _repeat("Mr. Dr. ", n), "abbreviations only, in one paragraph"),
    "md_emphasis": (".md", lambda n: _repeat("*a ", n), "Markdown: '*a ' repeated on one line"),
    "md_brackets": (".md", lambda n: _repeat("![a](b ", n), "Markdown: unclosed image links"),
    "html_prose": (".html", lambda n: "<html><body>" + _repeat(f"<p>{_EN}</p>\n", n) + "</body></html>",
                   "HTML paragraphs (baseline)"),
    "html_nested": (".html", _nested_html, "HTML: nested <div> elements"),
    "html_unclosed": (".html", lambda n: _repeat("<p><b><i>x ", n), "HTML: unclosed tags"),
    "html_comments": (".html", lambda n: _repeat("<!-- a <a ", n), "HTML: unclosed comments and tags"),
}

_BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""

def _nested_bomb(prefix: str, key: str, last: str) -> str:
    """The bomb's eight levels as entries ``<prefix>1..8`` of a mapping, then ``last`` using ``*h``."""
    levels = [line.split(": ", 1)[1] for line in _BOMB.splitlines()]
    body = "".join(f"  {prefix}{i + 1}: {key.format(value=v)}\n" for i, v in enumerate(levels))
    return body + last


#: name -> (YAML text, the loader call made on the file, in the child)
YAML_CASES = {
    "config (scalar field)": (_BOMB + "seed: *h\n",
                              "from coopthemes.config import load_config as f; f(PATH)"),
    "codebook (keywords)": (
        _BOMB + "themes:\n- id: t\n  label: T\n  descriptions: {vi: a, fr: b, en: c}\n  keywords: {en: *h}\n",
        "from coopthemes.themes.codebook import load_codebook as f; f(PATH)"),
    "gazetteer (names)": (
        "countries:\n  Vietnam: {names: {en: [Vietnam]}}\n"
        + _nested_bomb("Z", "{{names: {{en: {value}}}}}", "  A: {names: {en: *h}}\n"),
        "from coopthemes.corpus.gazetteer import load_gazetteer as f; f(PATH)"),
    "relation cues": (
        "relation:\n" + _nested_bomb("z", "{value}", "  en: *h\n"),
        "from coopthemes.corpus.relations import load_relation_cues as f; f(PATH)"),
}


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_corpus(folder: str, warm: str, max_chars: int, extra: str) -> None:
    """Load ``folder`` after a warm-up on ``warm``; print seconds, peak memory and the ledger.

    ``extra`` holds further settings as JSON; those the source's CorpusConfig lacks are left out.
    """
    import dataclasses

    from coopthemes.config import CorpusConfig
    from coopthemes.corpus import load_corpus

    known = {f.name for f in dataclasses.fields(CorpusConfig)}
    settings = {k: v for k, v in {"max_document_chars": max_chars, **json.loads(extra)}.items() if k in known}
    load_corpus(warm, show_progress=False, **settings)
    base = _peak_kb()
    t0 = time.perf_counter()
    docs, passages = load_corpus(folder, show_progress=False, **settings)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "seconds": round(seconds, 2), "peak_mb": round(_peak_kb() / 1024), "base_mb": round(base / 1024),
        "status": docs["status"].tolist(), "reason": [str(r)[:120] for r in docs["reason"].tolist()],
        "passages": int(len(passages)), "kept": int(passages["kept"].sum()),
    }), flush=True)


def child_yaml(path: str, call: str) -> None:
    """Run ``call`` on the YAML file ``path``; print seconds, peak memory and the error."""
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    t0 = time.perf_counter()
    error = None
    try:
        exec(call.replace("PATH", repr(path)), {})
    except MemoryError:
        error = "MemoryError"
    except Exception as exc:  # the message is what is measured
        error = f"{type(exc).__name__}: {exc}"
    print(json.dumps({
        "seconds": round(time.perf_counter() - t0, 2), "peak_mb": round(_peak_kb() / 1024),
        "error_bytes": len((error or "").encode("utf-8", "replace")), "error": (error or "")[:160],
    }), flush=True)


def _spawn(args: list[str], source: str, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": source, "MPLBACKEND": "Agg"}
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return {"timeout": timeout, "stderr_bytes": len(err)}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"failed": proc.returncode, "stderr_bytes": len(proc.stderr), "stderr": proc.stderr[-300:],
                "wall": round(time.perf_counter() - t0, 1)}
    return {**json.loads(lines[-1]), "stderr_bytes": len(proc.stderr)}


def run_cases(cases: list[str], sizes: list[float], source: str, timeout: float, extra: dict) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="pathological-") as tmp:
        warm = Path(tmp) / "warm"
        warm.mkdir()
        (warm / "w.txt").write_text(_EN + "\n\n" + _VI, encoding="utf-8")
        for size in sizes:
            for name in cases:
                suffix, make, _ = CASES[name]
                folder = Path(tmp) / f"{name}-{size}"
                folder.mkdir()
                n = int(size * MB)
                (folder / f"doc{suffix}").write_text(make(n), encoding="utf-8")
                args = ["--child-corpus", str(folder), str(warm), str(4 * n + 10), json.dumps(extra)]
                result = _spawn(args, source, timeout)
                (folder / f"doc{suffix}").unlink()
                row = {"case": name, "mb": size, **result}
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


def run_yaml(source: str, timeout: float) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="yamlbomb-") as tmp:
        for name, (text, call) in YAML_CASES.items():
            path = Path(tmp) / "bomb.yaml"
            path.write_text(text, encoding="utf-8")
            result = _spawn(["--child-yaml", str(path), call], source, timeout)
            row = {"case": name, "bytes": len(text.encode()), **result}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def _cell(row: dict | None) -> str:
    if row is None:
        return "not run"
    if "timeout" in row:
        return f"> {row['timeout']:.0f} s"
    if "failed" in row:
        return f"failed ({row['failed']})"
    return f"{row['seconds']:.1f} s"


def _status(row: dict | None) -> str:
    if not row or "status" not in row:
        return ""
    return ", ".join(sorted(set(row["status"])))


def section(before: dict, after: dict, command: str) -> str:
    today = dt.date.today().isoformat()
    settings = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(after.get("settings", {}).items()))
    lines = [MARKER, "", f"Generated by `{command}` on {today}; 'before' is the source of commit "
             f"{before.get('commit', '?')} (`--source`), 'after' commit {after.get('commit', '?')}. One document "
             "alone in a folder, timed through `load_corpus` after a warm-up (language models loaded); the "
             "document size limit is raised above the document"
             + (f"; after: {settings}" if settings else "") + ". Two CPU cores shared with other work: times "
             "are single runs, and 'before' and 'after' were measured at different times, so compare a case "
             "with the prose of its own column; the last column is the promise (at most about 2x prose).", ""]
    sizes = sorted({r["mb"] for r in before.get("corpus", []) + after.get("corpus", [])})
    top = max(sizes) if sizes else 0
    head = ("| case | " + " | ".join(f"{s:g} MB before | {s:g} MB after" for s in sizes)
            + f" | after: status | {top:g} MB after / prose_en |")
    lines += [head, "|---|" + "---:|---:|" * len(sizes) + "---|---:|"]
    index = {(k, r["case"], r["mb"]): r for k, d in (("b", before), ("a", after)) for r in d.get("corpus", [])}
    prose = index.get(("a", "prose_en", top), {}).get("seconds")
    for name, (_, _, what) in CASES.items():
        cells = []
        for s in sizes:
            cells += [_cell(index.get(("b", name, s))), _cell(index.get(("a", name, s)))]
        last = index.get(("a", name, top)) if sizes else None
        ratio = f"{last['seconds'] / prose:.2f}" if prose and last and "seconds" in last else ""
        lines.append(f"| {name}: {what} | " + " | ".join(cells) + f" | {_status(last)} | {ratio} |")
    lines += ["", "Peak memory (MB) of the child after the largest size:", ""]
    lines += ["| case | before | after |", "|---|---:|---:|"]
    for name in CASES:
        b, a = index.get(("b", name, max(sizes))), index.get(("a", name, max(sizes)))
        lines.append(f"| {name} | {b.get('peak_mb', '') if b else ''} | {a.get('peak_mb', '') if a else ''} |")
    lines += ["", "YAML alias bomb (a few hundred bytes; child limited to 4 GB of address space):", "",
              "| file | before: time, peak memory, error output | after: time, peak memory, error output "
              "| after: message |",
              "|---|---|---|---|"]
    yb = {r["case"]: r for r in before.get("yaml", [])}
    for r in after.get("yaml", []):
        b = yb.get(r["case"], {})

        def fmt(x: dict) -> str:
            if not x:
                return "not run"
            if "timeout" in x:
                return f"> {x['timeout']:.0f} s"
            return f"{x.get('seconds', '?')} s, {x.get('peak_mb', '?')} MB, {x.get('error_bytes', 0)} bytes"

        message = r.get("error", "").replace("|", "/")
        lines.append(f"| {r['case']} | {fmt(b)} | {fmt(r)} | {message} |")
    return "\n".join(lines) + "\n"


def write_section(text: str, out: Path) -> None:
    current = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n"
    if MARKER in current:
        head, rest = current.split(MARKER, 1)
        nxt = rest.find("\n## ")
        current = head + text + (rest[nxt + 1:] if nxt >= 0 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    out.write_text(current, encoding="utf-8")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-corpus":
        child_corpus(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-yaml":
        child_yaml(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("run", "yaml"):
        p = sub.add_parser(name)
        p.add_argument("--source", default=str(ROOT / "analysis"), help="source root holding coopthemes/")
        p.add_argument("--timeout", type=float, default=900.0, help="seconds per measurement")
        p.add_argument("--json", help="append the rows to this JSON file")
        p.add_argument("--commit", default="", help="commit id recorded with the rows")
        if name == "run":
            p.add_argument("--sizes", default="1,10,50", help="megabytes, comma-separated")
            p.add_argument("--cases", default=",".join(CASES), help="comma-separated, of: " + ", ".join(CASES))
            p.add_argument("--set", action="append", default=[], metavar="FIELD=JSON",
                           help="a CorpusConfig setting for every document, e.g. check_garbled=false")
    p = sub.add_parser("write")
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    p.add_argument("--command", default="python bench/bench_pathological.py run/yaml (before and after)")
    args = parser.parse_args()
    if args.what == "write":
        before = json.loads(Path(args.before).read_text(encoding="utf-8"))
        after = json.loads(Path(args.after).read_text(encoding="utf-8"))
        write_section(section(before, after, args.command), Path(args.out))
        return
    if args.what == "run":
        extra = {k: json.loads(v) for k, _, v in (item.partition("=") for item in args.set)}
        rows = run_cases(args.cases.split(","), [float(s) for s in args.sizes.split(",")], args.source, args.timeout,
                         extra)
    else:
        rows = run_yaml(args.source, args.timeout)
    if args.json:
        path = Path(args.json)
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        key = "corpus" if args.what == "run" else "yaml"
        done = {(r["case"], r.get("mb")) for r in rows}
        data[key] = [r for r in data.get(key, []) if (r["case"], r.get("mb")) not in done] + rows
        if args.commit:
            data["commit"] = args.commit
        if args.what == "run" and extra:
            data["settings"] = extra
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
