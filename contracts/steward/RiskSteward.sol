// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BoundedSteward} from "./BoundedSteward.sol";
import {Errors} from "../errors/Errors.sol";

/// @notice The slice of the reference protocol the steward drives as its risk admin.
interface IReferencePerpsRiskAdmin {
    function marginRatios(bytes32 market) external view returns (uint16 imrBps, uint16 mmrBps);
    function openInterestCaps(bytes32 market) external view returns (uint256 longCap, uint256 shortCap);
    function markPrice(bytes32 market) external view returns (uint256);
    function positionOf(uint256 id)
        external
        view
        returns (uint256, address, bytes32 market, bool, uint256 size, uint256, uint256);
    function setMarginRatios(bytes32 market, uint16 imrBps, uint16 mmrBps) external;
    function setOpenInterestCaps(bytes32 market, uint256 longCap, uint256 shortCap) external;
    function deleverage(uint256 id, uint256 sizeDelta) external returns (int256);
}

/// @title RiskSteward
/// @notice Holds the reference protocol's risk-admin role; the only contract the keeper may call.
contract RiskSteward is BoundedSteward {
    bytes32 public constant IMR = "IMR";
    bytes32 public constant MMR = "MMR";
    bytes32 public constant LONG_CAP = "LONG_CAP";
    bytes32 public constant SHORT_CAP = "SHORT_CAP";

    IReferencePerpsRiskAdmin public immutable protocol;
    /// @notice Max usd notional (18 decimals) one deleverage call may reduce.
    uint256 public maxDeleverageNotional;

    event MaxDeleverageNotionalSet(uint256 value);
    event PositionDeleveraged(bytes32 indexed market, uint256 indexed positionId, uint256 sizeDelta, bytes32 key);

    constructor(IReferencePerpsRiskAdmin protocol_, address governance) BoundedSteward(governance) {
        protocol = protocol_;
    }

    function setMaxDeleverageNotional(uint256 value) external onlyOwner {
        maxDeleverageNotional = value;
        emit MaxDeleverageNotionalSet(value);
    }

    function updateMarginRatios(bytes32 market, uint16 imrBps, uint16 mmrBps, bytes32 key, bytes32 evidence)
        external
        onlyKeeper
        nonReentrant
    {
        _consumeKey(key, evidence);
        (uint16 oldImr, uint16 oldMmr) = protocol.marginRatios(market);
        if (oldImr == imrBps && oldMmr == mmrBps) revert Errors.NothingToDo();
        _applyBounded(market, IMR, oldImr, imrBps, key, evidence);
        _applyBounded(market, MMR, oldMmr, mmrBps, key, evidence);
        protocol.setMarginRatios(market, imrBps, mmrBps);
    }

    function updateOpenInterestCaps(bytes32 market, uint256 longCap, uint256 shortCap, bytes32 key, bytes32 evidence)
        external
        onlyKeeper
        nonReentrant
    {
        _consumeKey(key, evidence);
        (uint256 oldLong, uint256 oldShort) = protocol.openInterestCaps(market);
        if (oldLong == longCap && oldShort == shortCap) revert Errors.NothingToDo();
        _applyBounded(market, LONG_CAP, oldLong, longCap, key, evidence);
        _applyBounded(market, SHORT_CAP, oldShort, shortCap, key, evidence);
        protocol.setOpenInterestCaps(market, longCap, shortCap);
    }

    /// @notice Reduces the given positions of one market at the mark, within the per-call notional cap.
    function deleverage(bytes32 market, uint256[] calldata positionIds, uint256[] calldata sizeDeltas, bytes32 key, bytes32 evidence)
        external
        onlyKeeper
        nonReentrant
    {
        if (positionIds.length != sizeDeltas.length) revert Errors.LengthMismatch(positionIds.length, sizeDeltas.length);
        if (positionIds.length == 0) revert Errors.NothingToDo();
        _consumeKey(key, evidence);
        uint256 price = protocol.markPrice(market);
        uint256 totalSize;
        for (uint256 i = 0; i < positionIds.length; ++i) {
            (,, bytes32 positionMarket,,,,) = protocol.positionOf(positionIds[i]);
            if (positionMarket != market) revert Errors.PositionInOtherMarket(positionIds[i], positionMarket);
            totalSize += sizeDeltas[i];
        }
        uint256 notional = (totalSize * price) / 1e18;
        if (notional > maxDeleverageNotional) revert Errors.DeleverageNotionalExceeded(notional, maxDeleverageNotional);
        for (uint256 i = 0; i < positionIds.length; ++i) {
            protocol.deleverage(positionIds[i], sizeDeltas[i]);
            emit PositionDeleveraged(market, positionIds[i], sizeDeltas[i], key);
        }
    }
}
