// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBoundedSteward} from "../steward/IRiskSteward.sol";

/// @title IAaveRiskSteward
/// @notice The keeper entry points of the steward that holds Aave V3's RISK_ADMIN role. A market is a
/// reserve; its bounds key is the asset's address as bytes32 (`marketKey`).
interface IAaveRiskSteward is IBoundedSteward {
    /// @notice A reserve's collateral parameters, in basis points (bonus: 10500 = 5 %).
    struct ReserveRisk {
        uint256 ltv;
        uint256 liquidationThreshold;
        uint256 liquidationBonus;
    }

    /// @notice A reserve's caps, in whole tokens (Aave's convention).
    struct ReserveCaps {
        uint256 supplyCap;
        uint256 borrowCap;
    }

    /// @notice Moves a reserve's LTV, liquidation threshold and bonus, each within its bounds, step and delay.
    /// @param asset The reserve's underlying asset.
    /// @param expected The values the keeper read and decided on; any difference reverts `StaleExpectation`.
    /// @param next The values to set; an unchanged one is not an update.
    /// @param tag Idempotency key, evidence hash (logged) and validity (`ActionExpired` after it).
    /// @dev Reverts NotKeeper, StewardFrozen, ActionExpired, StaleExpectation, NothingToDo,
    /// BoundsNotConfigured, ZeroValue, OutOfBounds, StepTooLarge, UpdateTooSoon, or the configurator's refusal.
    function updateReserveRisk(address asset, ReserveRisk calldata expected, ReserveRisk calldata next, ActionTag calldata tag) external;

    /// @notice Moves a reserve's supply and borrow caps, each within its bounds, step and delay.
    /// @param asset The reserve's underlying asset.
    /// @param expected The caps the keeper read and decided on; any difference reverts `StaleExpectation`.
    /// @param next The caps to set.
    /// @param tag Idempotency key, evidence hash and validity.
    /// @dev Reverts as `updateReserveRisk`.
    function updateReserveCaps(address asset, ReserveCaps calldata expected, ReserveCaps calldata next, ActionTag calldata tag) external;

    /// @notice The bounds key of a reserve: its asset's address as bytes32.
    function marketKey(address asset) external pure returns (bytes32);
}
