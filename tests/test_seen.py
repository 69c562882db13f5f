"""SeenSet: an add-only set on disk with a small cache of recent members in front."""

from __future__ import annotations

from crawler.seen import SeenSet


def test_members_past_the_cache_are_still_members():
    seen = SeenSet(cache_size=4)
    try:
        urls = [f"http://127.0.0.1/Trang/ChiTietTinTuc.aspx?nid={i}" for i in range(100)]
        assert all(seen.add(u) for u in urls)
        assert not any(seen.add(u) for u in urls)  # the first 96 answered from disk
        assert len(seen) == 100
        assert all(u in seen for u in reversed(urls))
        assert "http://127.0.0.1/Trang/ChiTietTinTuc.aspx?nid=100" not in seen
        # a member's bytes and text are the same member (both hash their UTF-8)
        assert urls[0].encode() in seen and not seen.add(urls[1].encode())
        assert 42 not in seen and None not in seen
        assert len(seen) == 100
    finally:
        seen.close()


def test_repeated_links_are_answered_without_hashing(monkeypatch):
    seen = SeenSet(cache_size=8)
    try:
        seen.add("/Trang/Default.aspx")
        calls = []
        import crawler.seen as module

        real = module.key_hash
        monkeypatch.setattr(module, "key_hash", lambda k: calls.append(k) or real(k))
        for _ in range(50):  # the same menu link on every page
            assert "/Trang/Default.aspx" in seen
            assert not seen.add("/Trang/Default.aspx")
        assert calls == []
        assert "/Trang/TinTuc.aspx?Cat=83" not in seen and calls == ["/Trang/TinTuc.aspx?Cat=83"]
    finally:
        seen.close()
