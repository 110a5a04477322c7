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
    // last refill 40 | window 32 | configured 8.
    uint256 private constant M56 = (1 << 56) - 1;
    uint256 private constant BUDGET_OFF = 56;
    uint256 private constant AVAILABLE_OFF = 112;
    uint256 private constant REFILL_OFF = 168;
    uint256 private constant WINDOW_OFF = 208;
    uint256 private constant LIMITS_CONFIGURED = uint256(1) << 240;

    IReferencePerpsRiskAdmin public immutable protocol;
    mapping(bytes32 => uint256) private deleverageBudget;

    constructor(IReferencePerpsRiskAdmin protocol_, address governance) BoundedSteward(governance) {
        protocol = protocol_;
    }

    function setDeleverageLimits(bytes32 market, DeleverageLimits calldata l) external onlyOwner {
        if (l.maxPerCallUsd > M56 || l.budgetUsd > M56 || l.window == 0) revert Errors.InvalidDeleverageLimits(market);
        deleverageBudget[market] = l.maxPerCallUsd | (l.budgetUsd << BUDGET_OFF) | (l.budgetUsd << AVAILABLE_OFF)
            | (block.timestamp << REFILL_OFF) | (uint256(l.window) << WINDOW_OFF) | LIMITS_CONFIGURED;
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
        _checkValid(tag);
        (uint16 oldImr, uint16 oldMmr) = protocol.marginRatios(market);
        if (next.imrBps == expected.imrBps && next.mmrBps == expected.mmrBps) revert Errors.NothingToDo();
        Change[] memory changes = new Change[](2);
        changes[0] = _applyBounded(market, IMR, expected.imrBps, oldImr, next.imrBps);
        changes[1] = _applyBounded(market, MMR, expected.mmrBps, oldMmr, next.mmrBps);
        protocol.setMarginRatios(market, next.imrBps, next.mmrBps);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash, changes);
    }

    function updateOpenInterestCaps(bytes32 market, OpenInterestCaps calldata expected, OpenInterestCaps calldata next, ActionTag calldata tag)
        external
        onlyKeeper
        nonReentrant
    {
        _checkValid(tag);
        (uint256 oldLong, uint256 oldShort) = protocol.openInterestCaps(market);
        if (next.longCap == expected.longCap && next.shortCap == expected.shortCap) revert Errors.NothingToDo();
        Change[] memory changes = new Change[](2);
        changes[0] = _applyBounded(market, LONG_CAP, expected.longCap, oldLong, next.longCap);
        changes[1] = _applyBounded(market, SHORT_CAP, expected.shortCap, oldShort, next.shortCap);
        protocol.setOpenInterestCaps(market, next.longCap, next.shortCap);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash, changes);
    }

    function deleverage(bytes32 market, Reduction[] calldata reductions, ActionTag calldata tag) external onlyKeeper nonReentrant {
        _checkValid(tag);
        if (reductions.length == 0) revert Errors.NothingToDo();
        Change[] memory changes = new Change[](reductions.length);
        uint256 totalSize;
        for (uint256 i = 0; i < reductions.length; ++i) {
            Reduction calldata r = reductions[i];
            (,, bytes32 positionMarket,, uint256 size,,) = protocol.positionOf(r.positionId);
            if (positionMarket != market) revert Errors.PositionInOtherMarket(r.positionId, positionMarket);
            if (size != r.expectedSize) revert Errors.StalePosition(r.positionId, r.expectedSize, size);
            totalSize += r.sizeDelta;
            changes[i] = Change(bytes32(r.positionId), size, size - r.sizeDelta);
        }
        _spendBudget(market, (totalSize * protocol.markPrice(market) + WAD * WAD - 1) / (WAD * WAD));
        for (uint256 i = 0; i < reductions.length; ++i) protocol.deleverage(reductions[i].positionId, reductions[i].sizeDelta);
        emit ActionExecuted(tag.key, market, msg.sender, tag.evidenceHash, changes);
    }

    /// @dev Checks a deleverage's notional (whole USD, rounded up) against the per-call cap and the
    /// refilled budget, and spends it: one slot read, one write.
    function _spendBudget(bytes32 market, uint256 notionalUsd) private {
        uint256 w = deleverageBudget[market];
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
