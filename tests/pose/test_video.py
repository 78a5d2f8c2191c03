"""VideoReader on the real clip and on broken files."""

from __future__ import annotations

import av
import numpy as np
import pytest

from core.errors import InputError
from device.video import VideoReader, prefetched
from tests.conftest import CLIP


def test_reads_every_frame_with_its_time():
    with VideoReader(CLIP) as v:
        assert (v.width, v.height, v.fps, v.frame_count) == (720, 1280, 30.0, 360)
        times = []
        for t, rgb in v.frames():
            times.append(t)
            assert rgb.shape == (1280, 720, 3) and rgb.dtype == np.uint8
    assert len(times) == 360 and times[0] == 0.0
    assert np.allclose(np.diff(times), 1 / 30, atol=1e-3)
    assert v.warnings == []


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_file_stored_turned_is_read_upright(tmp_path, rotation):
    # as a phone writes it: the frames stored turned, the display matrix turning them back
    from corpus.video import read_frames, write_video

    upright = list(read_frames(CLIP, max_frames=12))
    path = tmp_path / f"turned{rotation}.mp4"
    write_video(path, iter(upright), 30.0, rotation=rotation)
    with av.open(str(path)) as raw:  # stored turned: FFmpeg's API hands it over as stored
        stored = next(raw.decode(video=0)).to_ndarray(format="rgb24")
    assert stored.shape == np.rot90(upright[0], -rotation // 90).shape
    with VideoReader(path) as v:
        assert (v.rotation, v.width, v.height) == (rotation, 720, 1280)
        frames = [rgb for _, rgb in v.frames()]
    assert len(frames) == 12 and all(f.flags["C_CONTIGUOUS"] for f in frames)
    for got, want in zip(frames, upright, strict=True):
        assert got.shape == want.shape
        assert np.abs(got.astype(int) - want).mean() < 3  # the encoder's loss only
    with VideoReader(CLIP) as v:
        assert v.rotation == 0


@pytest.mark.parametrize(
    ("codec", "pix_fmt", "suffix"),
    [("libx265", "yuv420p10le", ".mov"), ("libvpx-vp9", "yuv420p", ".webm"),
     ("mjpeg", "yuvj420p", ".avi")],
)  # fmt: skip
def test_other_containers_and_codecs_read_the_same_picture(tmp_path, codec, pix_fmt, suffix):
    # a phone's 10-bit HEVC .mov (an iPhone's default), a browser's VP9 .webm, an old camera's
    # MJPEG .avi: each decodes to the same upright 8-bit RGB picture, at its own times (the
    # clip through each, all the way: docs/pose.md)
    from corpus.video import read_frames

    upright = list(read_frames(CLIP, max_frames=8))
    path = tmp_path / f"clip{suffix}"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=30)
        stream.width, stream.height, stream.pix_fmt = 720, 1280, pix_fmt
        for frame in upright:
            rgb = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for packet in stream.encode(rgb.reformat(format=pix_fmt)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with VideoReader(path) as v:
        assert (v.width, v.height) == (720, 1280) and round(v.fps) == 30
        got = list(v.frames())
    assert len(got) == 8 and np.allclose([t for t, _ in got], np.arange(8) / 30, atol=2e-3)
    for (_, rgb), want in zip(got, upright, strict=True):
        assert rgb.dtype == np.uint8 and rgb.shape == want.shape
        assert np.abs(rgb.astype(int) - want).mean() < 4  # the encoder's loss only


def test_prefetched_gives_the_same_frames_in_order():
    with VideoReader(CLIP) as a, VideoReader(CLIP) as b:
        direct = [(t, rgb.sum()) for t, rgb in a.frames()][:50]
        ahead = [(t, rgb.sum()) for t, rgb in prefetched(b.frames())][:50]
    assert direct == ahead


def test_prefetched_passes_errors_on():
    def broken():
        yield 0.0, np.zeros((2, 2, 3), np.uint8)
        raise InputError("x.mp4: damaged")

    it = prefetched(broken())
    next(it)
    with pytest.raises(InputError, match="damaged"):
        next(it)


def cut(tmp_path, name: str, size: int | None, data: bytes | None = None):
    p = tmp_path / name
    p.write_bytes(data if data is not None else CLIP.read_bytes()[:size])
    return p


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (lambda d: cut(d, "empty.mp4", 0), "empty file"),
        (lambda d: cut(d, "cut.mp4", 900_000), "not a readable video"),
        (lambda d: cut(d, "head.mp4", 3000), "not a readable video"),
        (lambda d: cut(d, "text.mp4", None, b"hello, not a video\n"), "not a readable video"),
        (lambda d: d, "is a directory"),
    ],
)
def test_bad_files_are_one_line_input_errors(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(InputError, match=message) as err, VideoReader(path) as v:
        list(v.frames())
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def faststart_copy(src, dst):
    """Remux with the index at the front, so a cut file still opens (as a phone upload)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "faststart"}) as out:
        s = inp.streams.video[0]
        o = out.add_stream_from_template(s)
        for packet in inp.demux(s):
            if packet.dts is not None:
                packet.stream = o
                out.mux(packet)


def test_a_file_cut_short_yields_what_it_holds_and_warns(tmp_path):
    whole = tmp_path / "faststart.mp4"
    faststart_copy(CLIP, whole)
    part = cut(tmp_path, "part.mp4", None, whole.read_bytes()[:1_000_000])
    with VideoReader(part) as v:
        n = sum(1 for _ in v.frames())
    assert 100 < n < 360
    assert len(v.warnings) == 1 and f"after {n} of its 360 frames" in v.warnings[0]
