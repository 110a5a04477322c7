// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Errors} from "../errors/Errors.sol";

/// @title BoundedSteward
/// @notice The shared core of every steward: governance (the owner: a timelock or multisig) decides,
/// per market and parameter, the range a value may take and how far and how often an allowlisted
/// keeper may move it — separately toward safety (tighten: fast) and away from it (loosen: slowly).
/// Every keeper action carries an idempotency key that can be executed once, and an evidence hash
/// (the digest of the inputs the keeper decided on) that lands in the event log for replay.
abstract contract BoundedSteward is Ownable2Step, ReentrancyGuardTransient {
    /// @dev Two storage slots per (market, param): the range, then the rule and its last update.
    struct Range {
        uint128 min;
        uint128 max;
    }

    struct Rule {
        uint16 maxTightenBps; // max relative change per update toward safety
        uint16 maxLoosenBps; // max relative change per update away from safety
        uint32 tightenDelay; // min seconds since the last update before a tightening
        uint32 loosenDelay; // min seconds since the last update before a loosening
        bool tightenIsIncrease; // margins tighten upward, caps downward
        bool configured;
        uint40 lastUpdate;
    }

    /// @notice What governance sets for one parameter.
    struct Bounds {
        uint128 min;
        uint128 max;
        uint16 maxTightenBps;
        uint16 maxLoosenBps;
        uint32 tightenDelay;
        uint32 loosenDelay;
        bool tightenIsIncrease;
    }

    uint256 private constant BPS = 10_000;

    bool public frozen;
    mapping(address => bool) public isKeeper;
    mapping(bytes32 => bool) public executed;
    mapping(bytes32 => mapping(bytes32 => Range)) private ranges;
    mapping(bytes32 => mapping(bytes32 => Rule)) private rules;

    event KeeperSet(address indexed keeper, bool allowed);
    event Frozen(address indexed by);
    event Unfrozen(address indexed by);
    event BoundsSet(bytes32 indexed market, bytes32 indexed param, Bounds bounds);
    event ParameterUpdated(
        bytes32 indexed market,
        bytes32 indexed param,
        uint256 oldValue,
        uint256 newValue,
        address indexed keeper,
        bytes32 key,
        bytes32 evidenceHash
    );
    event ActionExecuted(bytes32 indexed key, address indexed keeper, bytes32 evidenceHash);

    modifier onlyKeeper() {
        if (!isKeeper[msg.sender]) revert Errors.NotKeeper(msg.sender);
        if (frozen) revert Errors.StewardFrozen();
        _;
    }

    constructor(address governance) Ownable(governance) {}

    // ───────────────────────────── governance ─────────────────────────────

    function setKeeper(address keeper, bool allowed) external onlyOwner {
        isKeeper[keeper] = allowed;
        emit KeeperSet(keeper, allowed);
    }

    function freeze() external onlyOwner {
        frozen = true;
        emit Frozen(msg.sender);
    }

    function unfreeze() external onlyOwner {
        frozen = false;
        emit Unfrozen(msg.sender);
    }

    function setBounds(bytes32 market, bytes32 param, Bounds calldata b) external onlyOwner {
        if (b.min == 0 || b.min > b.max || b.maxTightenBps == 0 || b.maxTightenBps > BPS || b.maxLoosenBps > BPS) {
            revert Errors.InvalidBounds(market, param);
        }
        ranges[market][param] = Range(b.min, b.max);
        Rule storage r = rules[market][param];
        uint40 last = r.lastUpdate;
        rules[market][param] = Rule(b.maxTightenBps, b.maxLoosenBps, b.tightenDelay, b.loosenDelay, b.tightenIsIncrease, true, last);
        emit BoundsSet(market, param, b);
    }

    // ───────────────────────────── views ─────────────────────────────

    function getBounds(bytes32 market, bytes32 param) public view returns (Bounds memory b, uint256 lastUpdate, bool configured) {
        Range storage range = ranges[market][param];
        Rule storage r = rules[market][param];
        b = Bounds(range.min, range.max, r.maxTightenBps, r.maxLoosenBps, r.tightenDelay, r.loosenDelay, r.tightenIsIncrease);
        return (b, r.lastUpdate, r.configured);
    }

    /// @notice Bounds of many (market, param) pairs in one call, for the keeper's batched reads.
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

    /// @dev Checks a change of one parameter against its bounds, records it and emits the audit event.
    /// An unchanged value is not an update: it neither resets the delay nor emits.
    function _applyBounded(bytes32 market, bytes32 param, uint256 oldValue, uint256 newValue, bytes32 key, bytes32 evidence) internal {
        if (newValue == oldValue) return;
        if (newValue == 0) revert Errors.ZeroValue(param);
        Range memory range = ranges[market][param];
        Rule storage rule = rules[market][param];
        Rule memory r = rule;
        if (!r.configured) revert Errors.BoundsNotConfigured(market, param);
        if (newValue < range.min || newValue > range.max) revert Errors.OutOfBounds(market, param, newValue, range.min, range.max);

        bool tightening = (newValue > oldValue) == r.tightenIsIncrease;
        uint256 maxStep = tightening ? r.maxTightenBps : r.maxLoosenBps;
        uint256 delta = newValue > oldValue ? newValue - oldValue : oldValue - newValue;
        // Relative step against the current value; a parameter that is 0 today can only be set by governance.
        if (oldValue == 0 || delta * BPS > maxStep * oldValue) revert Errors.StepTooLarge(market, param, oldValue, newValue, maxStep);
        uint256 delay = tightening ? r.tightenDelay : r.loosenDelay;
        if (r.lastUpdate != 0 && block.timestamp < uint256(r.lastUpdate) + delay) {
            revert Errors.UpdateTooSoon(market, param, r.lastUpdate, delay, block.timestamp);
        }
        rule.lastUpdate = uint40(block.timestamp);
        emit ParameterUpdated(market, param, oldValue, newValue, msg.sender, key, evidence);
    }

    /// @dev Marks an idempotency key as executed; the same key never runs twice.
    function _consumeKey(bytes32 key, bytes32 evidence) internal {
        if (executed[key]) revert Errors.KeyAlreadyExecuted(key);
        executed[key] = true;
        emit ActionExecuted(key, msg.sender, evidence);
    }
}
