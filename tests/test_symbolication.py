"""Symbolication from local binaries and from a symbol server, checked against
``addr2line -f -i -C`` on small C and C++ programs compiled here with ``-g``; time per line."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import polars as pl
import pytest

import profile_frames
from benchmarks.symbols import native_profile

pytest.importorskip("symbolic", reason="pip install -e '.[test]' (symbolic)")
pytest.importorskip("cxxfilt", reason="pip install -e '.[test]' (cxxfilt)")
TOOLS = {t: shutil.which(t) for t in ("gcc", "g++", "addr2line", "objdump", "readelf")}
pytestmark = pytest.mark.skipif(
    not all(TOOLS.values()),
    reason=f"needs gcc, g++ and binutils (missing: {[t for t, p in TOOLS.items() if not p]})",
)

C_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
static inline int square(int x) { return x * x; }
__attribute__((noinline)) int work(int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += square(i) % 7;
    return s;
}
__attribute__((noinline)) int outer(int n) { return work(n) + work(n / 2); }
int main(int argc, char **argv) { printf("%d\n", outer(argc > 1 ? atoi(argv[1]) : 1000)); return 0; }
"""
CPP_SOURCE = r"""
#include <cstdio>
#include <vector>
namespace geo {
struct Point { double x, y; };
template <typename T> inline T sq(T v) { return v * v; }
__attribute__((noinline)) double norm2(const std::vector<Point>& ps) {
    double s = 0; for (const auto& p : ps) s += sq(p.x) + sq(p.y); return s;
}
__attribute__((noinline)) double twice(const std::vector<Point>& ps) { return norm2(ps) * 2; }
}
int main() { std::vector<geo::Point> v(1000, {1.0, 2.0}); std::printf("%f\n", geo::twice(v)); }
"""


def _compile(tmp: Path, name: str, source: str, compiler: str) -> Path:
    src = tmp / (name + (".c" if compiler == "gcc" else ".cpp"))
    src.write_text(source)
    out = tmp / name
    subprocess.run([compiler, "-g", "-O2", "-o", str(out), str(src)], check=True)
    return out


def _build_id(binary: Path) -> str:
    notes = subprocess.run(["readelf", "-n", str(binary)], capture_output=True, text=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", notes).group(1)


def _instructions(binary: Path, symbol_part: str) -> list[tuple[int, str]]:
    """(address, text) of the instructions of the function named ``symbol_part`` (or whose
    mangled name holds it; never a ``.cold`` part)."""
    dump = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(binary)], capture_output=True, text=True
    ).stdout
    functions: dict[str, list[tuple[int, str]]] = {}
    current = None
    for line in dump.splitlines():
        head = re.match(r"^[0-9a-f]+ <([^>]+)>:", line)
        if head:
            current = functions.setdefault(head.group(1), [])
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if current is not None and m:
            current.append((int(m.group(1), 16), m.group(2)))
    if symbol_part in functions:
        return functions[symbol_part]
    return next(v for k, v in functions.items() if symbol_part in k and not k.endswith(".cold"))


def _return_address(binary: Path, caller: str, callee: str) -> int:
    """The address after ``caller``'s call to ``callee``: a real return address."""
    ins = _instructions(binary, caller)
    for (_, text), (nxt, _) in zip(ins, ins[1:]):
        if text.startswith("call") and callee in text:
            return nxt
    raise AssertionError(f"no call from {caller} to {callee}")


def addr2line(binary: Path, address: int) -> list[tuple[str, str | None, int | None]]:
    """``addr2line -f -i -C``: the inline chain, outermost first, as (function, file, line)."""
    out = subprocess.run(
        ["addr2line", "-f", "-i", "-C", "-e", str(binary), hex(address)],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    chain = []
    for name, where in zip(out[::2], out[1::2]):
        file, _, line = where.split(" ")[0].rpartition(":")
        chain.append((name, file if file != "??" else None, int(line) if line.isdigit() else None))
    return chain[::-1]


def _chains(profile, binary_name: str) -> list[list[tuple[str, str | None, int | None]]]:
    """Per sample, the root-first (function, file, line) of its stack."""
    t = profile.thread(0)
    stacks, frames, funcs = t.stacks, t.frames, t.funcs
    out = []
    for s in t.samples["stack"].to_list():
        chain = []
        while s is not None:
            f = stacks["frame"][s]
            fn = frames["func"][f]
            chain.append((funcs["name"][fn], funcs["file"][fn], frames["line"][f]))
            s = stacks["parent"][s]
        out.append(chain[::-1])
    return out


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bin")
    c = _compile(tmp, "prog", C_SOURCE, "gcc")
    cpp = _compile(tmp, "prog2", CPP_SOURCE, "g++")
    return tmp, c, cpp


def _inlined_leaf(binary: Path, function: str) -> int:
    """An instruction of ``function`` where addr2line sees an inlined call."""
    for address, _ in _instructions(binary, function):
        if len(addr2line(binary, address)) >= 2:
            return address
    raise AssertionError(f"no inlined code in {function}")


def _other_line(binary: Path, function: str, than: int) -> int:
    """An instruction of ``function`` on another line of it than the address ``than``."""
    line = addr2line(binary, than)[0][2]
    for address, _ in _instructions(binary, function):
        chain = addr2line(binary, address)
        if chain[0][0] == function and chain[0][2] not in (line, None):
            return address
    raise AssertionError(f"{function} has one line")


def _c_stacks(c: Path) -> list[list[int]]:
    main_ret = _return_address(c, "main", "outer")
    outer_ret = _return_address(c, "outer", "work")
    leaf = _inlined_leaf(c, "work")
    plain = _other_line(c, "work", leaf)
    return (
        [[main_ret, outer_ret, leaf]] * 3
        + [[main_ret, outer_ret, plain]] * 2
        + [[main_ret, outer_ret]]
    )


@pytest.mark.parametrize("language", ["c", "c++"])
def test_names_inlined_frames_and_lines_equal_addr2line(programs, tmp_path, language):
    tmp, c, cpp = programs
    binary = c if language == "c" else cpp
    if language == "c":
        stacks = _c_stacks(c)
    else:
        main_ret = _return_address(cpp, "main", "twice")
        twice_ret = _return_address(cpp, "twice", "norm2")
        stacks = [[main_ret, twice_ret, _inlined_leaf(cpp, "norm2")]] * 4
    path = tmp_path / "p.json"
    path.write_bytes(native_profile(binary, stacks, _build_id(binary)))
    raw = profile_frames.load(path)
    assert raw.thread(0).functions()["function"].str.starts_with("0x").all()
    named = raw.symbolicate(search_path=[tmp])
    assert named.symbolication.libraries[0].note == "build id matches"
    for stack, chain in zip(stacks, _chains(named, binary.name)):
        want = [frame for address in stack for frame in addr2line(binary, address)]
        assert chain == want, (chain, want)
    if language == "c":
        assert any(name == "square" for name, _, _ in _chains(named, binary.name)[0])  # inlined
        assert named.symbolication.inlined_frames >= 1
    else:
        names = [name for name, _, _ in _chains(named, binary.name)[0]]
        assert any(n.startswith("geo::norm2(") for n in names)  # demangled with its signature
        assert not any(n.startswith("_Z") for n in names)
    # the numbers are the file's: every sample still counted once
    assert named.thread(0).functions()["self"].sum() == raw.thread(0).functions()["self"].sum()


def test_load_symbolicates_when_asked(programs, tmp_path):
    tmp, c, _ = programs
    path = tmp_path / "p.json"
    path.write_bytes(native_profile(c, _c_stacks(c), _build_id(c)))
    direct = profile_frames.load(path).symbolicate(search_path=[tmp])
    for option in ([str(tmp)], str(tmp)):
        loaded = profile_frames.load(path, symbolicate=option)
        assert loaded.thread(0).functions().equals(direct.thread(0).functions())
    assert profile_frames.load(path).thread(0).functions()["function"].str.starts_with("0x").all()


def test_a_binary_with_another_build_id_is_not_used(programs, tmp_path):
    tmp, c, _ = programs
    path = tmp_path / "p.json"
    path.write_bytes(native_profile(c, _c_stacks(c), "00" * 20))
    named = profile_frames.load(path).symbolicate(search_path=[tmp])
    note = named.symbolication.libraries[0].note
    assert note.startswith("build id differs") and _build_id(c) in note
    assert named.thread(0).functions()["function"].str.starts_with("0x").all()


def test_lines_add_up_to_the_function(programs, tmp_path):
    tmp, c, _ = programs
    path = tmp_path / "p.json"
    path.write_bytes(native_profile(c, _c_stacks(c), _build_id(c)))
    t = profile_frames.load(path).symbolicate(search_path=[tmp]).thread(0)
    by_line = t.lines("work")
    fn = t.functions().filter(pl.col("function") == "work").row(0, named=True)
    assert by_line["self"].sum() == fn["self"] and by_line["total"].sum() == fn["total"]
    assert by_line["line"].null_count() == 0 and by_line.height >= 2
    by_address = t.addresses("work")
    assert by_address["self"].sum() == fn["self"] and by_address["total"].sum() == fn["total"]


class _Server(http.server.BaseHTTPRequestHandler):
    """A /symbolicate/v5 server answering with addr2line (the test's reference)."""

    binary: Path
    requests: list

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(body)
        frames = []
        for _module, address in body["stacks"][0]:
            chain = addr2line(self.binary, address)[::-1]  # innermost first
            inner, outer = chain[:-1], chain[-1]
            frames.append(
                {
                    "frame": 0,
                    "module_offset": hex(address),
                    "function": outer[0],
                    "file": outer[1],
                    "line": outer[2],
                    "inlines": [{"function": n, "file": f, "line": ln} for n, f, ln in inner],
                }
            )
        doc = {"results": [{"stacks": [frames], "found_modules": {}}]}
        data = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_symbol_server_client(programs, tmp_path, monkeypatch):
    tmp, c, _ = programs
    stacks = _c_stacks(c)
    path = tmp_path / "p.json"
    path.write_bytes(native_profile(c, stacks, _build_id(c)))
    handler = type("H", (_Server,), {"binary": c, "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        from profile_frames.symbolication import server as client

        monkeypatch.setattr(client, "BATCH", 2)  # three addresses: two requests
        url = f"http://127.0.0.1:{server.server_address[1]}"
        named = profile_frames.load(path).symbolicate(server=url)
    finally:
        server.shutdown()
    assert len(handler.requests) == 2
    assert handler.requests[0]["memoryMap"] == [[c.name, "0" * 33]]
    for stack, chain in zip(stacks, _chains(named, c.name)):
        assert chain == [frame for address in stack for frame in addr2line(c, address)]
    with pytest.raises(ConnectionError, match="symbol server"):
        profile_frames.load(path).symbolicate(server="http://127.0.0.1:9")


def test_cli_annotate_and_symbols_from(programs, tmp_path, capsys):
    from profile_frames.present.cli import main as cli

    tmp, c, _ = programs
    path = tmp_path / "p.json"
    path.write_bytes(native_profile(c, _c_stacks(c), _build_id(c)))
    assert cli(["top", str(path), "--symbols-from", str(tmp), "-n", "3", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "work" in out or "square" in out
    assert cli(["annotate", str(path), "work", "--symbols-from", str(tmp)]) == 0
    out = capsys.readouterr().out
    assert "s += square(i) % 7;" in out and "%" in out  # the source line with its share
