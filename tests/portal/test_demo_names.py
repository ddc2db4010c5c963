"""Demo data names villages in Chinese numerals: a township of more than 99 villages (``make bench
SCALE=10``) must still get names, each distinct."""
from portal.seed.demo import _cn_index


def test_chinese_numerals_past_ninety_nine():
    assert [_cn_index(i) for i in (1, 10, 11, 20, 21, 99, 100, 101, 110, 115, 120, 250)] == [
        "一", "十", "十一", "二十", "二十一", "九十九", "一百", "一百零一", "一百一十", "一百一十五", "一百二十", "二百五十"]
    assert len({_cn_index(i) for i in range(1, 1000)}) == 999
