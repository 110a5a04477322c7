// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BoundedSteward} from "../steward/BoundedSteward.sol";
import {Errors} from "../errors/Errors.sol";
import {IAavePoolConfigurator, IAaveProtocolDataProvider} from "./AaveInterfaces.sol";

/// @title AaveRiskSteward
/// @notice Holds Aave V3's RISK_ADMIN role and lets the allowlisted keeper move a reserve's LTV,
/// liquidation threshold, liquidation bonus and caps within governance's bounds. Markets are
/// reserves: the bounds key of a reserve is its address as bytes32. Toward safety: LTV and
/// threshold go down, the bonus goes up (liquidators paid more, liquidations happen sooner), caps go down.
contract AaveRiskSteward is BoundedSteward {
    bytes32 public constant LTV = "LTV";
    bytes32 public constant LIQ_THRESHOLD = "LIQ_THRESHOLD";
    bytes32 public constant LIQ_BONUS = "LIQ_BONUS";
    bytes32 public constant SUPPLY_CAP = "SUPPLY_CAP";
    bytes32 public constant BORROW_CAP = "BORROW_CAP";

    IAavePoolConfigurator public immutable configurator;
    IAaveProtocolDataProvider public immutable dataProvider;

    constructor(IAavePoolConfigurator configurator_, IAaveProtocolDataProvider dataProvider_, address governance) BoundedSteward(governance) {
        configurator = configurator_;
        dataProvider = dataProvider_;
    }

    function marketKey(address asset) public pure returns (bytes32) {
        return bytes32(uint256(uint160(asset)));
    }

    function updateReserveRisk(address asset, uint256 ltv, uint256 liqThreshold, uint256 liqBonus, bytes32 key, bytes32 evidence)
        external
        onlyKeeper
        nonReentrant
    {
        _consumeKey(key, evidence);
        (, uint256 oldLtv, uint256 oldLt, uint256 oldBonus,,,,,,) = dataProvider.getReserveConfigurationData(asset);
        if (oldLtv == ltv && oldLt == liqThreshold && oldBonus == liqBonus) revert Errors.NothingToDo();
        bytes32 market = marketKey(asset);
        _applyBounded(market, LTV, oldLtv, ltv, key, evidence);
        _applyBounded(market, LIQ_THRESHOLD, oldLt, liqThreshold, key, evidence);
        _applyBounded(market, LIQ_BONUS, oldBonus, liqBonus, key, evidence);
        configurator.configureReserveAsCollateral(asset, ltv, liqThreshold, liqBonus);
    }

    function updateReserveCaps(address asset, uint256 supplyCap, uint256 borrowCap, bytes32 key, bytes32 evidence)
        external
        onlyKeeper
        nonReentrant
    {
        _consumeKey(key, evidence);
        (uint256 oldBorrowCap, uint256 oldSupplyCap) = dataProvider.getReserveCaps(asset);
        if (oldSupplyCap == supplyCap && oldBorrowCap == borrowCap) revert Errors.NothingToDo();
        bytes32 market = marketKey(asset);
        _applyBounded(market, SUPPLY_CAP, oldSupplyCap, supplyCap, key, evidence);
        _applyBounded(market, BORROW_CAP, oldBorrowCap, borrowCap, key, evidence);
        if (supplyCap != oldSupplyCap) configurator.setSupplyCap(asset, supplyCap);
        if (borrowCap != oldBorrowCap) configurator.setBorrowCap(asset, borrowCap);
    }
}
