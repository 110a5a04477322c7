// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BoundedSteward} from "../steward/BoundedSteward.sol";
import {Errors} from "../errors/Errors.sol";
import {IAavePoolConfigurator, IAaveProtocolDataProvider} from "./AaveInterfaces.sol";
import {IAaveRiskSteward} from "./IAaveRiskSteward.sol";

/// @title AaveRiskSteward
/// @notice Holds Aave V3's RISK_ADMIN role and lets the allowlisted keeper move a reserve's LTV,
/// liquidation threshold, liquidation bonus and caps within governance's bounds. Markets are
/// reserves: the bounds key of a reserve is its address as bytes32. Toward safety: LTV and
/// threshold go down, the bonus goes up (liquidators paid more, liquidations happen sooner), caps go down.
contract AaveRiskSteward is BoundedSteward, IAaveRiskSteward {
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

    function updateReserveRisk(address asset, ReserveRisk calldata expected, ReserveRisk calldata next, ActionTag calldata tag)
        external
        onlyKeeper
        nonReentrant
    {
        _checkValid(tag);
        (, uint256 oldLtv, uint256 oldLt, uint256 oldBonus,,,,,,) = dataProvider.getReserveConfigurationData(asset);
        if (next.ltv == expected.ltv && next.liquidationThreshold == expected.liquidationThreshold && next.liquidationBonus == expected.liquidationBonus) {
            revert Errors.NothingToDo();
        }
        bytes32 market = marketKey(asset);
        Change[] memory changes = new Change[](3);
        changes[0] = _applyBounded(market, LTV, expected.ltv, oldLtv, next.ltv);
        changes[1] = _applyBounded(market, LIQ_THRESHOLD, expected.liquidationThreshold, oldLt, next.liquidationThreshold);
        changes[2] = _applyBounded(market, LIQ_BONUS, expected.liquidationBonus, oldBonus, next.liquidationBonus);
        configurator.configureReserveAsCollateral(asset, next.ltv, next.liquidationThreshold, next.liquidationBonus);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash, changes);
    }

    function updateReserveCaps(address asset, ReserveCaps calldata expected, ReserveCaps calldata next, ActionTag calldata tag)
        external
        onlyKeeper
        nonReentrant
    {
        _checkValid(tag);
        (uint256 oldBorrowCap, uint256 oldSupplyCap) = dataProvider.getReserveCaps(asset);
        if (next.supplyCap == expected.supplyCap && next.borrowCap == expected.borrowCap) revert Errors.NothingToDo();
        bytes32 market = marketKey(asset);
        Change[] memory changes = new Change[](2);
        changes[0] = _applyBounded(market, SUPPLY_CAP, expected.supplyCap, oldSupplyCap, next.supplyCap);
        changes[1] = _applyBounded(market, BORROW_CAP, expected.borrowCap, oldBorrowCap, next.borrowCap);
        if (next.supplyCap != oldSupplyCap) configurator.setSupplyCap(asset, next.supplyCap);
        if (next.borrowCap != oldBorrowCap) configurator.setBorrowCap(asset, next.borrowCap);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash, changes);
    }
}
