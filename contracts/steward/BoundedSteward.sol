// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Errors} from "../errors/Errors.sol";
import {IBoundedSteward} from "./IRiskSteward.sol";

/// @title BoundedSteward
/// @notice The shared core of every steward (see IBoundedSteward). Gas: a parameter's bounds, rule
/// and last update live packed in one slot, so checking and recording one parameter costs one slot
/// read and one write; replays are refused by compare-and-set, not by a stored key; the freeze is
/// written into each keeper's allowlist entry, so the keeper check is one slot read.
abstract contract BoundedSteward is IBoundedSteward, Ownable2Step, ReentrancyGuardTransient {
    uint256 private constant BPS = 10_000;

    // Packed rule, low bits first: min 56 | max 56 | maxTighten 24 | maxLoosen 24 | tightenDelay 24 |
    // loosenDelay 24 | lastUpdate 32 | unit exponent 8 | flags 8. Range and absolute steps are in
    // units of 10^exponent; relative steps in bps.
    uint256 private constant MAX_OFF = 56;
    uint256 private constant TIGHTEN_OFF = 112;
    uint256 private constant LOOSEN_OFF = 136;
    uint256 private constant TIGHTEN_DELAY_OFF = 160;
    uint256 private constant LOOSEN_DELAY_OFF = 184;
    uint256 private constant LAST_OFF = 208;
    uint256 private constant EXP_OFF = 240;
    uint256 private constant FLAGS_OFF = 248;
    uint256 private constant M56 = (1 << 56) - 1;
    uint256 private constant M24 = (1 << 24) - 1;
    uint256 private constant M32 = (1 << 32) - 1;
    uint256 private constant CONFIGURED = 1;
    uint256 private constant RELATIVE = 2;
    uint256 private constant TIGHTEN_UP = 4;

    uint8 private constant KEEPER_ACTIVE = 1;
    uint8 private constant KEEPER_FROZEN = 2;

    bool public frozen;
    address public guardian;
    mapping(address => uint8) private keeperState;
    address[] private keepers;
    mapping(bytes32 => mapping(bytes32 => uint256)) private rules;

    modifier onlyKeeper() {
        uint8 state = keeperState[msg.sender];
        if (state == 0) revert Errors.NotKeeper(msg.sender);
        if (state == KEEPER_FROZEN) revert Errors.StewardFrozen();
        _;
    }

    constructor(address governance) Ownable(governance) {}

    // ───────────────────────────── governance and guardian ─────────────────────────────

    function setKeeper(address keeper, bool allowed) external onlyOwner {
        uint8 state = keeperState[keeper];
        if (allowed) {
            if (state == 0) keepers.push(keeper);
            keeperState[keeper] = frozen ? KEEPER_FROZEN : KEEPER_ACTIVE;
        } else if (state != 0) {
            delete keeperState[keeper];
            uint256 n = keepers.length;
            for (uint256 i = 0; i < n; ++i) {
                if (keepers[i] == keeper) {
                    keepers[i] = keepers[n - 1];
                    keepers.pop();
                    break;
                }
            }
        }
        emit KeeperSet(keeper, allowed);
    }

    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    function freeze() external {
        if (msg.sender != owner() && msg.sender != guardian) revert Errors.NotGuardian(msg.sender);
        _setFrozen(true);
        emit Frozen(msg.sender);
    }

    function unfreeze() external onlyOwner {
        _setFrozen(false);
        emit Unfrozen(msg.sender);
    }

    function _setFrozen(bool value) private {
        frozen = value;
        uint8 state = value ? KEEPER_FROZEN : KEEPER_ACTIVE;
        for (uint256 i = 0; i < keepers.length; ++i) keeperState[keepers[i]] = state;
    }

    function setBounds(bytes32 market, bytes32 param, Bounds calldata b) external onlyOwner {
        if (b.min == 0 || b.min > b.max || b.maxTighten == 0 || b.tightenDelay > M24 || b.loosenDelay > M24) revert Errors.InvalidBounds(market, param);
        if (b.relative && (b.maxTighten > BPS || b.maxLoosen > BPS)) revert Errors.InvalidBounds(market, param);
        // The smallest power-of-ten unit in which the range and absolute steps fit their fields.
        uint256 exp;
        uint256 unit = 1;
        while (b.max / unit > M56 || (!b.relative && (b.maxTighten / unit > M24 || b.maxLoosen / unit > M24))) {
            unit *= 10;
            if (++exp > 60) revert Errors.InvalidBounds(market, param);
        }
        uint256 min = (b.min + unit - 1) / unit; // rounds toward a narrower range
        uint256 max = b.max / unit;
        uint256 tighten = b.relative ? b.maxTighten : b.maxTighten / unit;
        uint256 loosen = b.relative ? b.maxLoosen : b.maxLoosen / unit;
        if (min > max || tighten == 0) revert Errors.InvalidBounds(market, param);
        uint256 flags = CONFIGURED | (b.relative ? RELATIVE : 0) | (b.tightenIsIncrease ? TIGHTEN_UP : 0);
        uint256 last = (rules[market][param] >> LAST_OFF) & M32;
        rules[market][param] = min | (max << MAX_OFF) | (tighten << TIGHTEN_OFF) | (loosen << LOOSEN_OFF)
            | (uint256(b.tightenDelay) << TIGHTEN_DELAY_OFF) | (uint256(b.loosenDelay) << LOOSEN_DELAY_OFF) | (last << LAST_OFF)
            | (exp << EXP_OFF) | (flags << FLAGS_OFF);
        emit BoundsSet(market, param, b);
    }

    // ───────────────────────────── views ─────────────────────────────

    function isKeeper(address account) external view returns (bool) {
        return keeperState[account] != 0;
    }

    function getBounds(bytes32 market, bytes32 param) public view returns (Bounds memory b, uint256 lastUpdate, bool configured) {
        uint256 w = rules[market][param];
        uint256 unit = 10 ** ((w >> EXP_OFF) & 0xff);
        uint256 flags = w >> FLAGS_OFF;
        bool relative = flags & RELATIVE != 0;
        uint256 stepUnit = relative ? 1 : unit;
        b = Bounds({
            min: (w & M56) * unit,
            max: ((w >> MAX_OFF) & M56) * unit,
            maxTighten: ((w >> TIGHTEN_OFF) & M24) * stepUnit,
            maxLoosen: ((w >> LOOSEN_OFF) & M24) * stepUnit,
            tightenDelay: uint32((w >> TIGHTEN_DELAY_OFF) & M24),
            loosenDelay: uint32((w >> LOOSEN_DELAY_OFF) & M24),
            tightenIsIncrease: flags & TIGHTEN_UP != 0,
            relative: relative
        });
        return (b, (w >> LAST_OFF) & M32, flags & CONFIGURED != 0);
    }

    function getBoundsBatch(bytes32[] calldata markets, bytes32[] calldata params)
        external
        view
        returns (Bounds[] memory bounds, uint256[] memory lastUpdates, bool[] memory configured)
    {
        if (markets.length != params.length) revert Errors.LengthMismatch(markets.length, params.length);
        bounds = new Bounds[](markets.length);
        lastUpdates = new uint256[](markets.length);
        configured = new bool[](markets.length);
        for (uint256 i = 0; i < markets.length; ++i) {
            (bounds[i], lastUpdates[i], configured[i]) = getBounds(markets[i], params[i]);
        }
    }

    // ───────────────────────────── enforcement ─────────────────────────────

    /// @dev Refuses an action past its validity.
    function _checkValid(ActionTag calldata tag) internal view {
        if (block.timestamp > tag.validUntil) revert Errors.ActionExpired(tag.key, tag.validUntil, block.timestamp);
    }

    /// @dev Compare-and-set of one parameter: the keeper's expectation must be the current value;
    /// the change is checked against the packed rule and recorded in the same slot. An unchanged
    /// value is not an update: it does not reset the delay (the action's event still lists it).
    function _applyBounded(bytes32 market, bytes32 param, uint256 expected, uint256 oldValue, uint256 newValue) internal returns (Change memory) {
        if (oldValue != expected) revert Errors.StaleExpectation(market, param, expected, oldValue);
        if (newValue == oldValue) return Change(param, oldValue, newValue);
        if (newValue == 0) revert Errors.ZeroValue(param);
        uint256 w = rules[market][param];
        if ((w >> FLAGS_OFF) & CONFIGURED == 0) revert Errors.BoundsNotConfigured(market, param);
        _checkRange(w, market, param, newValue);
        bool tightening = (newValue > oldValue) == ((w >> FLAGS_OFF) & TIGHTEN_UP != 0);
        _checkStep(w, market, param, oldValue, newValue, tightening);
        uint256 last = (w >> LAST_OFF) & M32;
        uint256 delay = (w >> (tightening ? TIGHTEN_DELAY_OFF : LOOSEN_DELAY_OFF)) & M24;
        if (last != 0 && block.timestamp < last + delay) revert Errors.UpdateTooSoon(market, param, last, delay, block.timestamp);
        rules[market][param] = (w & ~(M32 << LAST_OFF)) | (block.timestamp << LAST_OFF);
        return Change(param, oldValue, newValue);
    }

    function _checkRange(uint256 w, bytes32 market, bytes32 param, uint256 value) private pure {
        uint256 unit = 10 ** ((w >> EXP_OFF) & 0xff);
        uint256 min = (w & M56) * unit;
        uint256 max = ((w >> MAX_OFF) & M56) * unit;
        if (value < min || value > max) revert Errors.OutOfBounds(market, param, value, min, max);
    }

    /// @dev A relative step is at most maxStep bps of the current value; an absolute one at most maxStep units.
    function _checkStep(uint256 w, bytes32 market, bytes32 param, uint256 oldValue, uint256 newValue, bool tightening) private pure {
        uint256 maxStep = (w >> (tightening ? TIGHTEN_OFF : LOOSEN_OFF)) & M24;
        uint256 delta = newValue > oldValue ? newValue - oldValue : oldValue - newValue;
        if ((w >> FLAGS_OFF) & RELATIVE != 0) {
            // A parameter that is 0 today can only be set by governance.
            if (oldValue == 0 || delta * BPS > maxStep * oldValue) revert Errors.StepTooLarge(market, param, oldValue, newValue, maxStep);
        } else {
            maxStep *= 10 ** ((w >> EXP_OFF) & 0xff);
            if (delta > maxStep) revert Errors.StepTooLarge(market, param, oldValue, newValue, maxStep);
        }
    }
}
