// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IBoundedSteward
/// @notice What every steward shares: governance (the owner: a timelock or multisig) bounds, per
/// market and parameter, the range a value may take and how far and how often an allowlisted keeper
/// may move it, separately toward safety (tighten) and away from it (loosen), by a step relative to
/// the current value (bps) or absolute (the parameter's own unit). A guardian may freeze the
/// steward, never unfreeze it, never loosen anything.
///
/// Every keeper action is compare-and-set: it names the values it expects to replace, and a stale
/// expectation is refused, so an action that has landed fails by construction when replayed — no
/// executed-key storage. It carries an idempotency key and an evidence hash, both logged, and a
/// `validUntil` time after which it is refused.
interface IBoundedSteward {
    /// @notice What governance sets for one parameter.
    /// @param min Smallest value the keeper may set (never 0).
    /// @param max Largest value the keeper may set.
    /// @param maxTighten Largest step toward safety: bps of the current value if `relative`, else in the parameter's unit.
    /// @param maxLoosen Largest step away from safety, same unit as `maxTighten` (0: never loosen).
    /// @param tightenDelay Minimum seconds since the parameter's last update before a tightening.
    /// @param loosenDelay Minimum seconds since the parameter's last update before a loosening.
    /// @param tightenIsIncrease True where safety is up (margins, liquidation bonus), false where down (LTV, caps).
    /// @param relative True: steps are bps of the current value; false: absolute.
    /// @dev Stored packed in one slot: min rounds up and max and absolute steps round down to a
    /// power-of-ten unit when they need more than 43 (range) or 24 (step) bits; `getBounds` returns
    /// the values as stored. The last update of the second parameter of a pair one entry point moves
    /// (MMR, SHORT_CAP, LIQ_THRESHOLD, BORROW_CAP) is kept in the first one's slot.
    struct Bounds {
        uint256 min;
        uint256 max;
        uint256 maxTighten;
        uint256 maxLoosen;
        uint32 tightenDelay;
        uint32 loosenDelay;
        bool tightenIsIncrease;
        bool relative;
    }

    /// @notice What identifies and limits one keeper action.
    /// @param key The idempotency key the keeper derived for this decision (logged, not stored).
    /// @param evidenceHash Digest of the inputs the decision was made on, for anyone to replay it.
    /// @param validUntil Unix seconds after which the action is refused (a transaction that lands late carries stale evidence).
    struct ActionTag {
        bytes32 key;
        bytes32 evidenceHash;
        uint64 validUntil;
    }

    event KeeperSet(address indexed keeper, bool allowed);
    event GuardianSet(address indexed guardian);
    event Frozen(address indexed by);
    event Unfrozen(address indexed by);
    event BoundsSet(bytes32 indexed market, bytes32 indexed param, Bounds bounds);
    /// @notice A keeper action landed: its idempotency key, market, who sent it and the evidence it was
    /// decided on. One event per action, found by its key. What it changed is in the transaction that
    /// emitted it: the action names the values it replaces (`expected`, which the steward proved were
    /// the live values, or the call reverted) and the values it sets (`next`, which the protocol's own
    /// event in the same receipt repeats); `events.ts`'s `actionChanges` decodes them.
    event ActionExecuted(bytes32 indexed key, bytes32 indexed market, address keeper, bytes32 evidenceHash);

    /// @notice Allow or remove an allowlisted keeper. Governance only. The primary keeper cannot be
    /// removed (`PrimaryKeeperImmutable`): governance rotates it by installing a new steward.
    function setKeeper(address keeper, bool allowed) external;

    /// @notice The keeper fixed at deployment, checked without a storage read (0: none).
    function primaryKeeper() external view returns (address);

    /// @notice Name the guardian (address(0): none). Governance only.
    function setGuardian(address guardian) external;

    /// @notice Stop every keeper action. Governance or the guardian. Writes the freeze into every
    /// slot a keeper action reads first (a few per configured market).
    function freeze() external;

    /// @notice Let keepers act again. Governance only: a guardian can never unfreeze.
    function unfreeze() external;

    /// @notice Set one parameter's bounds; its last-update time is kept. Governance only.
    function setBounds(bytes32 market, bytes32 param, Bounds calldata bounds) external;

    function frozen() external view returns (bool);

    function guardian() external view returns (address);

    function isKeeper(address account) external view returns (bool);

    /// @notice One parameter's bounds as stored, the time of its last keeper update (0: never) and whether governance configured it.
    function getBounds(bytes32 market, bytes32 param) external view returns (Bounds memory bounds, uint256 lastUpdate, bool configured);

    /// @notice `getBounds` of many (market, param) pairs, for the keeper's batched reads.
    function getBoundsBatch(bytes32[] calldata markets, bytes32[] calldata params)
        external
        view
        returns (Bounds[] memory bounds, uint256[] memory lastUpdates, bool[] memory configured);
}

/// @title IRiskSteward
/// @notice The keeper entry points of the reference perpetuals protocol's steward.
interface IRiskSteward is IBoundedSteward {
    /// @notice Margins of one market, in basis points.
    struct MarginRatios {
        uint16 imrBps;
        uint16 mmrBps;
    }

    /// @notice Open-interest caps of one market, USD notional with 18 decimals.
    struct OpenInterestCaps {
        uint256 longCap;
        uint256 shortCap;
    }

    /// @notice One position to reduce, with the size the keeper saw (compare-and-set).
    struct Reduction {
        uint256 positionId;
        uint256 expectedSize;
        uint256 sizeDelta;
    }

    /// @notice Per market: the most one call may deleverage, and a budget that refills continuously
    /// at `budgetUsd` per `window` up to `budgetUsd` (in any interval of length T, at most
    /// budgetUsd × (1 + T / window) is deleveraged). Whole USD.
    struct DeleverageLimits {
        uint256 maxPerCallUsd;
        uint256 budgetUsd;
        uint32 window;
    }

    event DeleverageLimitsSet(bytes32 indexed market, DeleverageLimits limits);

    /// @notice Moves one market's initial and maintenance margins, each within its bounds, step and delay.
    /// @param market The market id (bytes32 text, "ETH-USD").
    /// @param expected The margins the keeper read and decided on; any difference reverts `StaleExpectation`.
    /// @param next The margins to set; an unchanged one is not an update (no delay reset, no event).
    /// @param tag Idempotency key, evidence hash (logged) and validity (`ActionExpired` after it).
    /// @dev Reverts NotKeeper, StewardFrozen, ActionExpired, StaleExpectation, NothingToDo,
    /// BoundsNotConfigured, ZeroValue, OutOfBounds, StepTooLarge, UpdateTooSoon, or the protocol's own refusal.
    function updateMarginRatios(bytes32 market, MarginRatios calldata expected, MarginRatios calldata next, ActionTag calldata tag) external;

    /// @notice Moves one market's long and short open-interest caps, each within its bounds, step and delay.
    /// @param market The market id.
    /// @param expected The caps the keeper read and decided on; any difference reverts `StaleExpectation`.
    /// @param next The caps to set.
    /// @param tag Idempotency key, evidence hash and validity.
    /// @dev Reverts as `updateMarginRatios`.
    function updateOpenInterestCaps(bytes32 market, OpenInterestCaps calldata expected, OpenInterestCaps calldata next, ActionTag calldata tag) external;

    /// @notice Reduces profitable positions of one market at the mark, within the per-call cap and the
    /// market's rolling budget.
    /// @param market The market every position must belong to.
    /// @param reductions Positions, the size each had when the keeper decided, and the size to remove.
    /// @param tag Idempotency key, evidence hash and validity.
    /// @dev Reverts NotKeeper, StewardFrozen, ActionExpired, NothingToDo, PositionInOtherMarket,
    /// StalePosition, DeleverageBudgetNotConfigured, DeleverageNotionalExceeded,
    /// DeleverageBudgetExceeded, or the protocol's own refusal (e.g. PositionNotProfitable).
    function deleverage(bytes32 market, Reduction[] calldata reductions, ActionTag calldata tag) external;

    /// @notice Set one market's deleverage limits. Governance only; the budget starts full.
    function setDeleverageLimits(bytes32 market, DeleverageLimits calldata limits) external;

    /// @notice A market's limits, and the budget available now (whole USD).
    function deleverageLimits(bytes32 market) external view returns (DeleverageLimits memory limits, uint256 availableUsd);
}
