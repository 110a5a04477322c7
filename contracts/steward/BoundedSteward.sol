// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Errors} from "../errors/Errors.sol";
import {IBoundedSteward} from "./IRiskSteward.sol";

/// @title BoundedSteward
/// @notice The shared core of every steward (see IBoundedSteward). Gas: a parameter's bounds and rule
/// live packed in one slot, and the clocks (last keeper update) of a pair of parameters that one entry
/// point moves together live in the first one's slot, so a two-parameter update reads two slots and
/// writes one; replays are refused by compare-and-set, not by a stored key; the primary keeper is an
/// immutable (no read), and the freeze is a bit in the slot each action reads first (no read either).
abstract contract BoundedSteward is IBoundedSteward, Ownable2Step, ReentrancyGuardTransient {
    uint256 private constant BPS = 10_000;

    // Packed rule, low bits first: min 43 | max 43 | maxTighten 24 | maxLoosen 24 | tightenDelay 24 |
    // loosenDelay 24 | clock 32 | partner's clock 32 | unit exponent 6 | flags 3. Range and absolute
    // steps are in units of 10^exponent; relative steps in bps. A clock is the time of the last keeper
    // update: lane 0 is this parameter's own, lane 1 the clock of the parameter paired with it
    // (`_pairedWith`), whose own slot's clocks are unused.
    uint256 private constant MAX_OFF = 43;
    uint256 private constant TIGHTEN_OFF = 86;
    uint256 private constant LOOSEN_OFF = 110;
    uint256 private constant TIGHTEN_DELAY_OFF = 134;
    uint256 private constant LOOSEN_DELAY_OFF = 158;
    uint256 private constant CLOCK_OFF = 182;
    uint256 private constant EXP_OFF = 246;
    uint256 private constant FLAGS_OFF = 252;
    uint256 private constant M43 = (1 << 43) - 1;
    uint256 private constant M24 = (1 << 24) - 1;
    uint256 private constant M32 = (1 << 32) - 1;
    uint256 private constant CLOCKS = ((1 << 64) - 1) << CLOCK_OFF;
    uint256 private constant CONFIGURED = 1;
    uint256 private constant RELATIVE = 2;
    uint256 private constant TIGHTEN_UP = 4;

    /// @dev Set in every slot a keeper action reads first (a pair's first rule slot, a parameter's own,
    /// a market's deleverage budget) while the steward is frozen: the freeze costs the keeper no extra read.
    uint256 internal constant FROZEN_BIT = 1 << 255;

    /// @notice The keeper that acts without an allowlist read (0: none). Immutable, as Aave's risk
    /// council is: governance rotates it by installing a new steward (see README, "Keeper keys").
    address public immutable primaryKeeper;

    bool public frozen;
    address public guardian;
    mapping(address => bool) private allowlisted;
    mapping(bytes32 => mapping(bytes32 => uint256)) private rules;
    /// @dev The storage slots that carry FROZEN_BIT, each once.
    uint256[] private freezable;
    mapping(uint256 => bool) private isFreezable;

    modifier onlyKeeper() {
        if (msg.sender != primaryKeeper && !allowlisted[msg.sender]) revert Errors.NotKeeper(msg.sender);
        _;
    }

    constructor(address governance, address primaryKeeper_) Ownable(governance) {
        primaryKeeper = primaryKeeper_;
        if (primaryKeeper_ != address(0)) emit KeeperSet(primaryKeeper_, true);
    }

    // ───────────────────────────── governance and guardian ─────────────────────────────

    /// @dev The primary keeper cannot be removed (it is immutable): the guardian freezes, governance
    /// installs a new steward.
    function setKeeper(address keeper, bool allowed) external onlyOwner {
        if (keeper == primaryKeeper && !allowed) revert Errors.PrimaryKeeperImmutable(keeper);
        allowlisted[keeper] = allowed;
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

    /// @dev One write per freezable slot: a few per configured market.
    function _setFrozen(bool value) private {
        frozen = value;
        uint256 n = freezable.length;
        for (uint256 i = 0; i < n; ++i) {
            uint256 slot = freezable[i];
            assembly ("memory-safe") {
                let w := sload(slot)
                switch value
                case 0 { w := and(w, not(FROZEN_BIT)) }
                default { w := or(w, FROZEN_BIT) }
                sstore(slot, w)
            }
        }
    }

    /// @dev Makes a slot carry the freeze from now on, and now.
    function _makeFreezable(uint256 slot) internal {
        if (!isFreezable[slot]) {
            isFreezable[slot] = true;
            freezable.push(slot);
        }
        if (frozen) {
            assembly ("memory-safe") {
                sstore(slot, or(sload(slot), FROZEN_BIT))
            }
        }
    }

    /// @dev The storage slot of a mapping(bytes32 => …) entry.
    function _entrySlot(uint256 mappingSlot, bytes32 key) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0, key)
            mstore(32, mappingSlot)
            slot := keccak256(0, 64)
        }
    }

    /// @dev The slot of a parameter's rule (and, for a pair's first parameter, both clocks).
    function _ruleSlot(bytes32 market, bytes32 param) private view returns (uint256 slot) {
        mapping(bytes32 => uint256) storage r = rules[market];
        uint256 base;
        assembly ("memory-safe") {
            base := r.slot
        }
        return _entrySlot(base, param);
    }

    function setBounds(bytes32 market, bytes32 param, Bounds calldata b) external onlyOwner {
        if (b.min == 0 || b.min > b.max || b.maxTighten == 0 || b.tightenDelay > M24 || b.loosenDelay > M24) revert Errors.InvalidBounds(market, param);
        if (b.relative && (b.maxTighten > BPS || b.maxLoosen > BPS)) revert Errors.InvalidBounds(market, param);
        // The smallest power-of-ten unit in which the range and absolute steps fit their fields.
        uint256 exp;
        uint256 unit = 1;
        while (b.max / unit > M43 || (!b.relative && (b.maxTighten / unit > M24 || b.maxLoosen / unit > M24))) {
            unit *= 10;
            if (++exp > 60) revert Errors.InvalidBounds(market, param);
        }
        uint256 min = (b.min + unit - 1) / unit; // rounds toward a narrower range
        uint256 max = b.max / unit;
        uint256 tighten = b.relative ? b.maxTighten : b.maxTighten / unit;
        uint256 loosen = b.relative ? b.maxLoosen : b.maxLoosen / unit;
        if (min > max || tighten == 0) revert Errors.InvalidBounds(market, param);
        uint256 flags = CONFIGURED | (b.relative ? RELATIVE : 0) | (b.tightenIsIncrease ? TIGHTEN_UP : 0);
        // The clocks and the freeze stay: new bounds do not let a parameter move again sooner.
        rules[market][param] = min | (max << MAX_OFF) | (tighten << TIGHTEN_OFF) | (loosen << LOOSEN_OFF)
            | (uint256(b.tightenDelay) << TIGHTEN_DELAY_OFF) | (uint256(b.loosenDelay) << LOOSEN_DELAY_OFF)
            | (rules[market][param] & (CLOCKS | FROZEN_BIT)) | (exp << EXP_OFF) | (flags << FLAGS_OFF);
        bytes32 home = _pairedWith(param);
        _makeFreezable(_ruleSlot(market, home == bytes32(0) ? param : home));
        emit BoundsSet(market, param, b);
    }

    // ───────────────────────────── views ─────────────────────────────

    function isKeeper(address account) external view returns (bool) {
        return account == primaryKeeper || allowlisted[account];
    }

    function getBounds(bytes32 market, bytes32 param) public view returns (Bounds memory b, uint256 lastUpdate, bool configured) {
        uint256 w = rules[market][param];
        uint256 unit = 10 ** ((w >> EXP_OFF) & 0x3f);
        uint256 flags = (w >> FLAGS_OFF) & 7;
        bool relative = flags & RELATIVE != 0;
        uint256 stepUnit = relative ? 1 : unit;
        b = Bounds({
            min: (w & M43) * unit,
            max: ((w >> MAX_OFF) & M43) * unit,
            maxTighten: ((w >> TIGHTEN_OFF) & M24) * stepUnit,
            maxLoosen: ((w >> LOOSEN_OFF) & M24) * stepUnit,
            tightenDelay: uint32((w >> TIGHTEN_DELAY_OFF) & M24),
            loosenDelay: uint32((w >> LOOSEN_DELAY_OFF) & M24),
            tightenIsIncrease: flags & TIGHTEN_UP != 0,
            relative: relative
        });
        bytes32 home = _pairedWith(param);
        lastUpdate = home == bytes32(0) ? (w >> CLOCK_OFF) & M32 : (rules[market][home] >> (CLOCK_OFF + 32)) & M32;
        configured = flags & CONFIGURED != 0;
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

    /// @dev The parameter whose slot holds `param`'s clock (in lane 1), or 0 when `param` keeps its own
    /// (lane 0). A steward pairs the parameters one entry point moves together, so that update writes
    /// one slot; `_applyPair` must be called with exactly these pairs.
    function _pairedWith(bytes32 param) internal pure virtual returns (bytes32);

    /// @dev Refuses an action past its validity.
    function _checkValid(ActionTag calldata tag) internal view {
        if (block.timestamp > tag.validUntil) revert Errors.ActionExpired(tag.key, tag.validUntil, block.timestamp);
    }

    /// @dev Compare-and-set: refuses a stale expectation, naming the parameter.
    function _expect(bytes32 market, bytes32 param, uint256 expected, uint256 current) internal pure {
        if (expected != current) revert Errors.StaleExpectation(market, param, expected, current);
    }

    /// @dev The rule slot a keeper action reads first (a pair's first parameter's, or a lone
    /// parameter's own), refusing a frozen steward. Read before anything else, as the freeze was.
    function _openRule(bytes32 market, bytes32 param) internal view returns (uint256 w) {
        w = rules[market][param];
        if (w & FROZEN_BIT != 0) revert Errors.StewardFrozen();
    }

    /// @dev Moves a parameter `a` and the one paired with it, `b` (`_pairedWith(b) == a`), from their
    /// current values (the caller checked them against the keeper's expectations) to the new ones:
    /// each change is checked against its own packed rule and stamped on its own clock, both clocks in
    /// `a`'s slot, whose word `wa` the caller opened. An unchanged value is not an update: it does not
    /// reset its clock.
    function _applyPair(bytes32 market, bytes32 a, bytes32 b, uint256 wa, uint256 oldA, uint256 newA, uint256 oldB, uint256 newB) internal {
        uint256 clocks = wa;
        if (newA != oldA) clocks = _stamp(market, a, wa, clocks, CLOCK_OFF, oldA, newA);
        if (newB != oldB) clocks = _stamp(market, b, rules[market][b], clocks, CLOCK_OFF + 32, oldB, newB);
        if (clocks != wa) rules[market][a] = clocks;
    }

    /// @dev Moves a parameter that keeps its own clock, as `_applyPair`; `w` is its opened rule.
    function _applyOne(bytes32 market, bytes32 param, uint256 w, uint256 oldValue, uint256 newValue) internal {
        if (newValue == oldValue) return;
        rules[market][param] = _stamp(market, param, w, w, CLOCK_OFF, oldValue, newValue);
    }

    /// @dev Checks one change against its rule `w` and its clock (`clocks` at bit `shift`); returns
    /// `clocks` stamped now. `_fastStamp` accepts only a change every check passes; anything else takes
    /// `_stampChecked`, the same rules in plain Solidity, which refuses with the precise error.
    function _stamp(bytes32 market, bytes32 param, uint256 w, uint256 clocks, uint256 shift, uint256 oldValue, uint256 newValue)
        private
        view
        returns (uint256 stamped)
    {
        stamped = _fastStamp(w, clocks, shift, oldValue, newValue);
        if (stamped == 0) stamped = _stampChecked(market, param, w, clocks, shift, oldValue, newValue);
    }

    /// @dev The rules of `_stampChecked` for the common case, in assembly: 0 unless the parameter is
    /// configured, the new value is non-zero, within [min, max], within the direction's step and delay,
    /// and both values are below 2^200 (so no product below overflows). The offsets are the constants above.
    function _fastStamp(uint256 w, uint256 clocks, uint256 shift, uint256 oldValue, uint256 newValue) private view returns (uint256 stamped) {
        assembly ("memory-safe") {
            let flags := and(shr(252, w), 7)
            let unit := exp(10, and(shr(246, w), 0x3f))
            let ok := and(and(flags, 1), and(gt(newValue, 0), and(lt(oldValue, shl(200, 1)), lt(newValue, shl(200, 1)))))
            // within [min, max]
            ok := and(ok, iszero(or(lt(newValue, mul(and(w, 0x7ffffffffff), unit)), gt(newValue, mul(and(shr(43, w), 0x7ffffffffff), unit)))))
            let tightening := eq(gt(newValue, oldValue), iszero(iszero(and(flags, 4))))
            {
                // the direction's step: maxTighten at 86, maxLoosen at 110
                let maxStep := and(shr(sub(110, mul(tightening, 24)), w), 0xffffff)
                let delta := sub(newValue, oldValue)
                if lt(newValue, oldValue) { delta := sub(oldValue, newValue) }
                switch and(flags, 2)
                case 0 { ok := and(ok, iszero(gt(delta, mul(maxStep, unit)))) }
                default { ok := and(ok, and(gt(oldValue, 0), iszero(gt(mul(delta, 10000), mul(maxStep, oldValue))))) }
            }
            {
                // the direction's delay since the clock: tightenDelay at 134, loosenDelay at 158
                let last := and(shr(shift, clocks), 0xffffffff)
                let delay := and(shr(sub(158, mul(tightening, 24)), w), 0xffffff)
                ok := and(ok, or(iszero(last), iszero(lt(timestamp(), add(last, delay)))))
            }
            if ok { stamped := or(and(clocks, not(shl(shift, 0xffffffff))), shl(shift, timestamp())) }
        }
    }

    /// @dev `_stamp` in plain Solidity: the rules' reference, and the path that names a refusal.
    function _stampChecked(bytes32 market, bytes32 param, uint256 w, uint256 clocks, uint256 shift, uint256 oldValue, uint256 newValue)
        private
        view
        returns (uint256)
    {
        bool tightening = _checkRule(market, param, w, oldValue, newValue);
        uint256 last = (clocks >> shift) & M32;
        uint256 delay = (w >> (tightening ? TIGHTEN_DELAY_OFF : LOOSEN_DELAY_OFF)) & M24;
        if (last != 0 && block.timestamp < last + delay) revert Errors.UpdateTooSoon(market, param, last, delay, block.timestamp);
        return (clocks & ~(M32 << shift)) | (block.timestamp << shift);
    }

    /// @dev Checks a change against a parameter's range and step; returns whether it tightens.
    function _checkRule(bytes32 market, bytes32 param, uint256 w, uint256 oldValue, uint256 newValue) private pure returns (bool tightening) {
        if (newValue == 0) revert Errors.ZeroValue(param);
        uint256 flags = (w >> FLAGS_OFF) & 7;
        if (flags & CONFIGURED == 0) revert Errors.BoundsNotConfigured(market, param);
        uint256 unit;
        uint256 min;
        uint256 max;
        // setBounds keeps the exponent at most 60, so a 43-bit field times the unit fits.
        unchecked {
            unit = 10 ** ((w >> EXP_OFF) & 0x3f);
            min = (w & M43) * unit;
            max = ((w >> MAX_OFF) & M43) * unit;
        }
        if (newValue < min || newValue > max) revert Errors.OutOfBounds(market, param, newValue, min, max);
        tightening = (newValue > oldValue) == (flags & TIGHTEN_UP != 0);
        // A relative step is at most maxStep bps of the current value; an absolute one at most maxStep units.
        uint256 maxStep = (w >> (tightening ? TIGHTEN_OFF : LOOSEN_OFF)) & M24;
        uint256 delta;
        unchecked {
            delta = newValue > oldValue ? newValue - oldValue : oldValue - newValue;
        }
        if (flags & RELATIVE != 0) {
            // A parameter that is 0 today can only be set by governance.
            if (oldValue == 0 || delta * BPS > maxStep * oldValue) revert Errors.StepTooLarge(market, param, oldValue, newValue, maxStep);
        } else {
            maxStep *= unit;
            if (delta > maxStep) revert Errors.StepTooLarge(market, param, oldValue, newValue, maxStep);
        }
    }
}
