"""What the sheet import keeps (service/sheet_store.py): mappings per organisation and kind, merged over
earlier ones; uploads by their SHA-256, found again by it only, deleted after a week."""
from __future__ import annotations

import hashlib
import os
import time

from service.sheet_store import KEEP_DAYS, SheetStore


def test_a_mapping_is_kept_per_organisation_and_kind_and_merged_over_the_last_one(tmp_path):
    store = SheetStore(tmp_path)
    assert store.mapping("东西湖区工商联", "job_fair") == {}
    store.remember("东西湖区工商联", "job_fair", {"日期": "occurred_on", "名称": "title"}, "li")
    store.remember("东西湖区工商联", "job_fair", {"名称": "", "活动名称": "title"}, "wang")
    store.remember("另一个工商联", "job_fair", {"时间": "occurred_on"}, "zhao")
    again = SheetStore(tmp_path)  # what a restart finds
    assert again.mapping("东西湖区工商联", "job_fair") == {"日期": "occurred_on", "名称": "", "活动名称": "title"}
    assert again.mapping("另一个工商联", "job_fair") == {"时间": "occurred_on"}
    assert again.mapping("东西湖区工商联", "training") == {}


def test_an_upload_is_found_by_its_sha256_only_and_old_ones_are_deleted(tmp_path):
    store = SheetStore(tmp_path)
    digest = store.put(b"a,b\n1,2\n", "台账.csv")
    assert digest == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert store.get(digest) == (b"a,b\n1,2\n", "台账.csv")
    for wrong in ("0" * 64, "../settings.sqlite", digest.upper(), ""):
        assert store.get(wrong) is None
    old = time.time() - (KEEP_DAYS + 1) * 86400
    for path in store.uploads.glob(f"{digest}.*"):
        os.utime(path, (old, old))
    store.put(b"other", "b.csv")
    assert store.get(digest) is None
    assert not list(store.uploads.glob("*.part"))
