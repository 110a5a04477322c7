// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BoundedSteward} from "./BoundedSteward.sol";
import {IRiskSteward} from "./IRiskSteward.sol";
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
contract RiskSteward is BoundedSteward, IRiskSteward {
    bytes32 public constant IMR = "IMR";
    bytes32 public constant MMR = "MMR";
    bytes32 public constant LONG_CAP = "LONG_CAP";
    bytes32 public constant SHORT_CAP = "SHORT_CAP";

    uint256 private constant WAD = 1e18;
    // Packed deleverage limits, whole USD, low bits first: maxPerCall 56 | budget 56 | available 56 |
    // last refill 40 | window 32 | configured 8 | (bit 255) the freeze, read with the rest.
    uint256 private constant M56 = (1 << 56) - 1;
    uint256 private constant BUDGET_OFF = 56;
    uint256 private constant AVAILABLE_OFF = 112;
    uint256 private constant REFILL_OFF = 168;
    uint256 private constant WINDOW_OFF = 208;
    uint256 private constant LIMITS_CONFIGURED = uint256(1) << 240;

    IReferencePerpsRiskAdmin public immutable protocol;
    mapping(bytes32 => uint256) private deleverageBudget;

    constructor(IReferencePerpsRiskAdmin protocol_, address governance, address primaryKeeper_) BoundedSteward(governance, primaryKeeper_) {
        protocol = protocol_;
    }

    function setDeleverageLimits(bytes32 market, DeleverageLimits calldata l) external onlyOwner {
        if (l.maxPerCallUsd > M56 || l.budgetUsd > M56 || l.window == 0) revert Errors.InvalidDeleverageLimits(market);
        deleverageBudget[market] = l.maxPerCallUsd | (l.budgetUsd << BUDGET_OFF) | (l.budgetUsd << AVAILABLE_OFF)
            | (block.timestamp << REFILL_OFF) | (uint256(l.window) << WINDOW_OFF) | LIMITS_CONFIGURED | (deleverageBudget[market] & FROZEN_BIT);
        uint256 base;
        assembly ("memory-safe") {
            base := deleverageBudget.slot
        }
        _makeFreezable(_entrySlot(base, market));
        emit DeleverageLimitsSet(market, l);
    }

    function deleverageLimits(bytes32 market) external view returns (DeleverageLimits memory limits, uint256 availableUsd) {
        uint256 w = deleverageBudget[market];
        limits = DeleverageLimits(w & M56, (w >> BUDGET_OFF) & M56, uint32(w >> WINDOW_OFF));
        availableUsd = w & LIMITS_CONFIGURED == 0 ? 0 : _refilled(w);
    }

    function updateMarginRatios(bytes32 market, MarginRatios calldata expected, MarginRatios calldata next, ActionTag calldata tag)
        external
        onlyKeeper
        nonReentrant
    {
        uint256 w = _openRule(market, IMR);
        _checkValid(tag);
        (uint16 oldImr, uint16 oldMmr) = protocol.marginRatios(market);
        (uint16 imr, uint16 mmr) = (next.imrBps, next.mmrBps);
        if (imr == expected.imrBps && mmr == expected.mmrBps) revert Errors.NothingToDo();
        _expect(market, IMR, expected.imrBps, oldImr);
        _expect(market, MMR, expected.mmrBps, oldMmr);
        _applyPair(market, IMR, MMR, w, oldImr, imr, oldMmr, mmr);
        protocol.setMarginRatios(market, imr, mmr);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash);
    }

    function updateOpenInterestCaps(bytes32 market, OpenInterestCaps calldata expected, OpenInterestCaps calldata next, ActionTag calldata tag)
        external
        onlyKeeper
        nonReentrant
    {
        uint256 w = _openRule(market, LONG_CAP);
        _checkValid(tag);
        (uint256 oldLong, uint256 oldShort) = protocol.openInterestCaps(market);
        (uint256 longCap, uint256 shortCap) = (next.longCap, next.shortCap);
        if (longCap == expected.longCap && shortCap == expected.shortCap) revert Errors.NothingToDo();
        _expect(market, LONG_CAP, expected.longCap, oldLong);
        _expect(market, SHORT_CAP, expected.shortCap, oldShort);
        _applyPair(market, LONG_CAP, SHORT_CAP, w, oldLong, longCap, oldShort, shortCap);
        protocol.setOpenInterestCaps(market, longCap, shortCap);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash);
    }

    /// @dev MMR's clock lives beside IMR's, SHORT_CAP's beside LONG_CAP's: each pair moves in one update.
    function _pairedWith(bytes32 param) internal pure override returns (bytes32) {
        if (param == MMR) return IMR;
        if (param == SHORT_CAP) return LONG_CAP;
        return bytes32(0);
    }

    function deleverage(bytes32 market, Reduction[] calldata reductions, ActionTag calldata tag) external onlyKeeper nonReentrant {
        uint256 w = deleverageBudget[market];
        if (w & FROZEN_BIT != 0) revert Errors.StewardFrozen();
        _checkValid(tag);
        if (reductions.length == 0) revert Errors.NothingToDo();
        uint256 totalSize;
        for (uint256 i = 0; i < reductions.length; ++i) {
            Reduction calldata r = reductions[i];
            (,, bytes32 positionMarket,, uint256 size,,) = protocol.positionOf(r.positionId);
            if (positionMarket != market) revert Errors.PositionInOtherMarket(r.positionId, positionMarket);
            if (size != r.expectedSize) revert Errors.StalePosition(r.positionId, r.expectedSize, size);
            totalSize += r.sizeDelta;
        }
        _spendBudget(market, w, (totalSize * protocol.markPrice(market) + WAD * WAD - 1) / (WAD * WAD));
        for (uint256 i = 0; i < reductions.length; ++i) protocol.deleverage(reductions[i].positionId, reductions[i].sizeDelta);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash);
    }

    /// @dev Checks a deleverage's notional (whole USD, rounded up) against the per-call cap and the
    /// refilled budget, and spends it: `w` is the slot the action read first, written once.
    function _spendBudget(bytes32 market, uint256 w, uint256 notionalUsd) private {
        if (w & LIMITS_CONFIGURED == 0) revert Errors.DeleverageBudgetNotConfigured(market);
        uint256 perCall = w & M56;
        if (notionalUsd > perCall) revert Errors.DeleverageNotionalExceeded(notionalUsd, perCall);
        uint256 available = _refilled(w);
        if (notionalUsd > available) revert Errors.DeleverageBudgetExceeded(market, notionalUsd, available);
        uint256 keep = w & ~((M56 << AVAILABLE_OFF) | (uint256((1 << 40) - 1) << REFILL_OFF));
        deleverageBudget[market] = keep | ((available - notionalUsd) << AVAILABLE_OFF) | (block.timestamp << REFILL_OFF);
    }

    /// @dev The budget available now: what was left, refilled at budget per window since, capped at the budget.
    function _refilled(uint256 w) private view returns (uint256) {
        uint256 budget = (w >> BUDGET_OFF) & M56;
        uint256 available = (w >> AVAILABLE_OFF) & M56;
        uint256 elapsed = block.timestamp - ((w >> REFILL_OFF) & ((1 << 40) - 1));
        uint256 window = (w >> WINDOW_OFF) & ((1 << 32) - 1);
        uint256 refilled = available + (budget * elapsed) / window;
        return refilled > budget ? budget : refilled;
    }
}
