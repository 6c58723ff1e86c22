from crashkit import kill_capture_at_random


def test_capture_killed_at_random_moments_leaves_all_or_nothing(farm):
    outcomes = kill_capture_at_random(farm, rounds=6, seed=11)
    assert sum(outcomes.values()) >= 6
