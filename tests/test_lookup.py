"""Prompt-lookup drafts: the tokens that followed the latest earlier occurrence of the last few."""

from rag.lookup import draft_after


def test_the_latest_longest_match_gives_the_draft() -> None:
    history = [1, 2, 3, 4, 5, 9, 2, 3, 7, 8, 2, 3]
    assert draft_after(history, 3) == [7, 8, 2]  # "2 3" last seen before the end at 6-7: then 7 8 2
    assert draft_after([5, 1, 2, 3, 6, 1, 2, 3], 2) == [6, 1]  # the 3-token run "1 2 3" wins over "2 3" / "3"
    assert draft_after([4, 4, 4], 5) == [4]  # the run may overlap the end: "4 4" at 0-1 is followed by 4
    assert draft_after([1, 2, 3], 4) == []  # 3 never occurred before
    assert draft_after([7], 4) == []
    assert draft_after([1, 2, 1], 0) == []
