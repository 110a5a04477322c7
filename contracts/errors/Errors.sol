// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Every custom error of the reference protocol and its steward, in one place, so the
/// keeper's revert decoder knows them all from one ABI.
library Errors {
    // ── oracle ──
    error StalePrice(address feed, uint256 updatedAt, uint256 heartbeat, uint256 nowTimestamp);
    error InvalidPrice(address feed, int256 answer);

    // ── markets and parameters ──
    error MarketExists(bytes32 market);
    error UnknownMarket(bytes32 market);
    error InvalidMarginRatios(uint256 imrBps, uint256 mmrBps);
    error InvalidLiquidationFee(uint256 liqFeeBps);
    error ZeroValue(bytes32 param);

    // ── accounts and positions ──
    error ZeroAmount();
    error InsufficientBalance(address account, uint256 available, uint256 requested);
    error UnknownPosition(uint256 positionId);
    error NotPositionOwner(uint256 positionId, address caller);
    error InsufficientInitialMargin(uint256 collateralUsd, uint256 requiredUsd);
    error OpenInterestCapExceeded(bytes32 market, bool isLong, uint256 openInterestUsd, uint256 capUsd);
    error PositionUnderwater(uint256 positionId, int256 equityUsd);
    error PositionHealthy(uint256 positionId, int256 equityUsd, uint256 maintenanceUsd);
    error InsufficientPoolLiquidity(uint256 available, uint256 required);

    // ── automated deleveraging ──
    error NotRiskAdmin(address caller);
    error PositionNotProfitable(uint256 positionId, int256 pnlUsd);
    error DeleverageTooLarge(uint256 positionId, uint256 size, uint256 sizeDelta);
    error PositionInOtherMarket(uint256 positionId, bytes32 market);

    // ── steward ──
    error NotKeeper(address caller);
    error StewardFrozen();
    error PrimaryKeeperImmutable(address keeper);
    error NotGuardian(address caller);
    error StaleExpectation(bytes32 market, bytes32 param, uint256 expected, uint256 actual);
    error StalePosition(uint256 positionId, uint256 expectedSize, uint256 actualSize);
    error ActionExpired(bytes32 key, uint256 validUntil, uint256 nowTimestamp);
    error DeleverageBudgetNotConfigured(bytes32 market);
    error DeleverageBudgetExceeded(bytes32 market, uint256 notionalUsd, uint256 availableUsd);
    error BoundsNotConfigured(bytes32 market, bytes32 param);
    error InvalidBounds(bytes32 market, bytes32 param);
    error OutOfBounds(bytes32 market, bytes32 param, uint256 value, uint256 min, uint256 max);
    error StepTooLarge(bytes32 market, bytes32 param, uint256 oldValue, uint256 newValue, uint256 maxStepBps);
    error UpdateTooSoon(bytes32 market, bytes32 param, uint256 lastUpdate, uint256 minDelay, uint256 nowTimestamp);
    error LengthMismatch(uint256 a, uint256 b);
    error DeleverageNotionalExceeded(uint256 notionalUsd, uint256 capUsd);
    error InvalidDeleverageLimits(bytes32 market);
    error NothingToDo();
}
