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

    constructor(IAavePoolConfigurator configurator_, IAaveProtocolDataProvider dataProvider_, address governance, address primaryKeeper_)
        BoundedSteward(governance, primaryKeeper_)
    {
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
        bytes32 market = marketKey(asset);
        uint256 w = _openRule(market, LTV);
        _checkValid(tag);
        (, uint256 oldLtv, uint256 oldLt, uint256 oldBonus,,,,,,) = dataProvider.getReserveConfigurationData(asset);
        if (next.ltv == expected.ltv && next.liquidationThreshold == expected.liquidationThreshold && next.liquidationBonus == expected.liquidationBonus) {
            revert Errors.NothingToDo();
        }
        _expect(market, LTV, expected.ltv, oldLtv);
        _expect(market, LIQ_THRESHOLD, expected.liquidationThreshold, oldLt);
        _expect(market, LIQ_BONUS, expected.liquidationBonus, oldBonus);
        _applyPair(market, LTV, LIQ_THRESHOLD, w, oldLtv, next.ltv, oldLt, next.liquidationThreshold);
        if (next.liquidationBonus != oldBonus) _applyOne(market, LIQ_BONUS, _openRule(market, LIQ_BONUS), oldBonus, next.liquidationBonus);
        configurator.configureReserveAsCollateral(asset, next.ltv, next.liquidationThreshold, next.liquidationBonus);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash);
    }

    function updateReserveCaps(address asset, ReserveCaps calldata expected, ReserveCaps calldata next, ActionTag calldata tag)
        external
        onlyKeeper
        nonReentrant
    {
        bytes32 market = marketKey(asset);
        uint256 w = _openRule(market, SUPPLY_CAP);
        _checkValid(tag);
        (uint256 oldBorrowCap, uint256 oldSupplyCap) = dataProvider.getReserveCaps(asset);
        if (next.supplyCap == expected.supplyCap && next.borrowCap == expected.borrowCap) revert Errors.NothingToDo();
        _expect(market, SUPPLY_CAP, expected.supplyCap, oldSupplyCap);
        _expect(market, BORROW_CAP, expected.borrowCap, oldBorrowCap);
        _applyPair(market, SUPPLY_CAP, BORROW_CAP, w, oldSupplyCap, next.supplyCap, oldBorrowCap, next.borrowCap);
        if (next.supplyCap != oldSupplyCap) configurator.setSupplyCap(asset, next.supplyCap);
        if (next.borrowCap != oldBorrowCap) configurator.setBorrowCap(asset, next.borrowCap);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash);
    }

    /// @dev The liquidation threshold's clock lives beside the LTV's, the borrow cap's beside the supply
    /// cap's: each pair moves in one update. The bonus keeps its own.
    function _pairedWith(bytes32 param) internal pure override returns (bytes32) {
        if (param == LIQ_THRESHOLD) return LTV;
        if (param == BORROW_CAP) return SUPPLY_CAP;
        return bytes32(0);
    }
}
