"""The run's history keeps its columns in typed arrays (8 bytes a value): what it hands out are copies, so a
figure being drawn never stops the training thread from appending, and its CSV takes every term."""
from __future__ import annotations

import csv
import io
import math

from trainers.history import History


def test_a_series_held_while_training_goes_on_does_not_block_appending():
    h = History()
    for i in range(1, 6):
        h.append(i, {"loss": float(i)})
    x, y = h.series("loss")                    # a view of the column would make the next append raise
    h.append(6, {"loss": 6.0})
    assert list(x) == [1, 2, 3, 4, 5] and list(y) == [1, 2, 3, 4, 5]
    assert h.steps == [1, 2, 3, 4, 5, 6]        # the columns still compare equal to lists


def test_a_term_that_appears_later_is_padded_and_every_epoch_term_is_written():
    h = History()
    h.append(1, {"a": 1.0})
    h.append(2, {"a": 2.0, "b": 5.0})
    assert math.isnan(h.terms["b"][0]) and h.terms["b"][1] == 5.0
    h.epochs = [{"epoch": 1, "step": 1, "a": 1.0}, {"epoch": 2, "step": 2, "a": 2.0, "b": 5.0}]
    rows = list(csv.DictReader(io.StringIO(h.epochs_csv())))
    assert rows[1]["b"] == "5.0" and rows[0]["b"] == ""


def test_epochs_with_different_terms_survive_the_round_trip():
    from trainers.checkpoint import _parse_history
    h = History()
    h.append(1, {"a": 1.0})
    h.epochs = [{"epoch": 1, "step": 1, "a": 1.0}, {"epoch": 2, "step": 2, "a": 2.0, "b": 5.0}]
    back = _parse_history(h.to_csv().encode(), h.epochs_csv().encode())
    assert back.epochs[0] == {"epoch": 1, "step": 1, "a": 1.0} and back.epochs[1]["b"] == 5.0
