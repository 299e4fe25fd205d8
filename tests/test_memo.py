"""kamlib.memo.TableMemo: a result comes back only for the very tables and key it was
stored under, as a copy when asked, the oldest goes first, and nothing is kept alive."""

import gc

import pandas as pd

from kamlib.memo import TableMemo


def test_a_result_comes_back_for_the_same_tables_and_key_only():
    a, b = pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [1]})  # equal, not the same
    memo = TableMemo(2)
    memo.put((a,), "k", "result")
    assert memo.get((a,), "k") == "result"
    assert memo.get((a,), "other key") is None
    assert memo.get((b,), "k") is None


def test_a_copy_is_stored_and_returned_when_asked():
    a = pd.DataFrame({"x": [1]})
    memo = TableMemo(2, copy=pd.DataFrame.copy)
    result = pd.DataFrame({"y": [1.0]})
    memo.put((a,), "k", result)
    result.loc[0, "y"] = 99.0  # the caller edits what it got: the memo does not see it
    first = memo.get((a,), "k")
    assert first.loc[0, "y"] == 1.0
    first.loc[0, "y"] = 5.0
    assert memo.get((a,), "k").loc[0, "y"] == 1.0


def test_the_oldest_goes_first_and_nothing_is_kept_alive():
    tables = [pd.DataFrame({"x": [i]}) for i in range(3)]
    memo = TableMemo(2)
    for i, t in enumerate(tables):
        memo.put((t,), "k", i)
    assert len(memo) == 2
    assert memo.get((tables[0],), "k") is None
    assert memo.get((tables[2],), "k") == 2
    gone = tables.pop()
    del gone
    gc.collect()
    replacement = pd.DataFrame({"x": [2]})  # may reuse the freed id
    assert memo.get((replacement,), "k") is None


def test_a_table_that_takes_no_weak_reference_means_no_memo():
    memo = TableMemo(2)
    memo.put((pd.DataFrame(), None), "k", "result")
    assert len(memo) == 0
    assert memo.get((pd.DataFrame(), None), "k") is None


def test_results_of_tables_that_are_gone_are_dropped_at_the_next_store():
    """A workshop that loads another export leaves the old data's results behind: they
    can never match again, so the next result stored drops them (memory is freed
    without waiting for them to become the oldest)."""
    memo = TableMemo(4)
    old, kept = pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [2]})
    memo.put((old,), "k", "old result")
    memo.put((kept,), "k", "kept result")
    del old
    gc.collect()
    assert len(memo) == 2  # nothing happens until something is stored
    new = pd.DataFrame({"x": [3]})
    memo.put((new,), "k", "new result")
    assert len(memo) == 2
    assert memo.get((kept,), "k") == "kept result" and memo.get((new,), "k") == "new result"
