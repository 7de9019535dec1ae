"""scikit-learn's estimator contract for every map, via ``parametrize_with_checks``: every check passes, none is
expected to fail."""

from __future__ import annotations

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from facebridge.maps import METHODS, make_map

# The nonlinear families at small sizes: the contract does not depend on them, the run time does.
_SMALL = {"kernel": {"n_landmarks": 16}, "mlp": {"hidden": 8, "max_iter": 20}}
ESTIMATORS = [make_map(m, normalize=normalize, **_SMALL.get(m, {})) for m in METHODS for normalize in (False, True)]

with warnings.catch_warnings():
    # The maps implement the estimator API themselves: scikit-learn is not a runtime dependency.
    warnings.filterwarnings("ignore", message="Estimator .* does not inherit from", category=UserWarning)
    contract_checks = parametrize_with_checks(ESTIMATORS)


@contract_checks
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)
