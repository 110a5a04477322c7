// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {Errors} from "../errors/Errors.sol";

/// @title ReferencePerps
/// @notice A small perpetuals protocol: isolated long/short positions priced by Chainlink-compatible
/// feeds, margined in one ERC-20 stablecoin, with an LP pool as every trader's counterparty, an
/// insurance fund, permissionless liquidation and a risk-admin deleveraging entry point.
/// @dev Units. Token amounts are in the collateral token's decimals. USD values and prices are
/// 18-decimal fixed point ("usd"). Sizes are base units with 18 decimals. Ratios are basis points.
/// PnL is settled against the pool; a loss beyond a position's collateral is drawn from the
/// insurance fund, and what the fund cannot cover is recorded as bad debt (owed to the pool).
contract ReferencePerps is Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SafeCast for int256;

    uint256 private constant BPS = 10_000;
    uint256 private constant WAD = 1e18;

    struct Market {
        address feed;
        uint8 feedDecimals;
        uint32 heartbeat;
        uint16 imrBps;
        uint16 mmrBps;
        uint16 liqFeeBps;
        bool listed;
        uint256 longCap; // usd
        uint256 shortCap; // usd
        uint256 longSize; // base, 18 dec
        uint256 shortSize; // base, 18 dec
    }

    /// @dev Storage form of a position: three slots, so that reading a page of the book is cheap.
    struct PackedPosition {
        address account;
        uint64 id;
        uint16 marketIndex;
        bool isLong;
        uint128 size;
        uint128 entryPrice;
        uint256 collateral;
    }

    struct Position {
        uint256 id;
        address account;
        bytes32 market;
        bool isLong;
        uint256 size; // base, 18 dec
        uint256 entryPrice; // usd per base unit, 18 dec
        uint256 collateral; // token units
    }

    struct MarketView {
        bytes32 id;
        address feed;
        uint8 feedDecimals;
        uint32 heartbeat;
        uint16 imrBps;
        uint16 mmrBps;
        uint16 liqFeeBps;
        uint256 longCap;
        uint256 shortCap;
        uint256 longSize;
        uint256 shortSize;
    }

    struct ProtocolState {
        address collateralToken;
        uint8 collateralDecimals;
        address riskAdmin;
        uint256 totalTraderCollateral; // token units: free balances plus position collateral
        uint256 poolBalance; // token units
        uint256 insuranceFund; // token units
        uint256 badDebt; // token units, cumulative
        uint256 positionCount;
        uint256 marketCount;
    }

    IERC20 public immutable collateralToken;
    uint8 public immutable collateralDecimals;
    uint256 private immutable toUsdScale; // 10 ** (18 - collateralDecimals)

    address public riskAdmin;
    uint256 public poolBalance;
    uint256 public insuranceFund;
    uint256 public badDebt;
    uint256 public totalTraderCollateral;
    uint256 public nextPositionId = 1;

    mapping(bytes32 => Market) private markets;
    bytes32[] private marketIds;
    mapping(address => uint256) public freeBalance;
    mapping(address => uint256) public liquidityShares;
    uint256 public totalLiquidityShares;

    PackedPosition[] private positions;
    mapping(bytes32 => uint16) private marketIndexOf;
    mapping(uint256 => uint256) private positionIndexPlusOne;

    event MarketAdded(bytes32 indexed market, address feed, uint16 imrBps, uint16 mmrBps, uint16 liqFeeBps, uint256 longCap, uint256 shortCap);
    event RiskAdminChanged(address indexed previous, address indexed current);
    event MarginRatiosUpdated(bytes32 indexed market, uint16 imrBps, uint16 mmrBps);
    event OpenInterestCapsUpdated(bytes32 indexed market, uint256 longCap, uint256 shortCap);
    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event LiquidityProvided(address indexed provider, uint256 amount, uint256 shares);
    event LiquidityRemoved(address indexed provider, uint256 amount, uint256 shares);
    event InsuranceFunded(address indexed from, uint256 amount);
    event PositionOpened(uint256 indexed id, address indexed account, bytes32 indexed market, bool isLong, uint256 size, uint256 entryPrice, uint256 collateral);
    event CollateralChanged(uint256 indexed id, int256 delta, uint256 collateral);
    event PositionClosed(uint256 indexed id, address indexed account, uint256 price, int256 pnlUsd, uint256 payout);
    event PositionLiquidated(
        uint256 indexed id,
        address indexed account,
        address indexed liquidator,
        uint256 price,
        int256 equityUsd,
        uint256 liquidatorFee,
        uint256 insuranceUsed,
        uint256 badDebtAdded
    );
    event PositionDeleveraged(uint256 indexed id, address indexed account, bytes32 indexed market, uint256 sizeDelta, uint256 price, int256 realisedPnlUsd);

    modifier onlyRiskAdmin() {
        if (msg.sender != riskAdmin) revert Errors.NotRiskAdmin(msg.sender);
        _;
    }

    constructor(IERC20Metadata token, address governance) Ownable(governance) {
        collateralToken = IERC20(address(token));
        uint8 dec = token.decimals();
        collateralDecimals = dec;
        toUsdScale = 10 ** (18 - uint256(dec));
    }

    // ───────────────────────────── governance and risk admin ─────────────────────────────

    function addMarket(bytes32 id, address feed, uint32 heartbeat, uint16 imrBps, uint16 mmrBps, uint16 liqFeeBps, uint256 longCap, uint256 shortCap)
        external
        onlyOwner
    {
        if (markets[id].listed) revert Errors.MarketExists(id);
        _checkMargins(imrBps, mmrBps);
        if (liqFeeBps >= mmrBps) revert Errors.InvalidLiquidationFee(liqFeeBps);
        if (longCap == 0 || shortCap == 0) revert Errors.ZeroValue("CAP");
        markets[id] = Market({
            feed: feed,
            feedDecimals: AggregatorV3Interface(feed).decimals(),
            heartbeat: heartbeat,
            imrBps: imrBps,
            mmrBps: mmrBps,
            liqFeeBps: liqFeeBps,
            listed: true,
            longCap: longCap,
            shortCap: shortCap,
            longSize: 0,
            shortSize: 0
        });
        marketIndexOf[id] = uint16(marketIds.length);
        marketIds.push(id);
        emit MarketAdded(id, feed, imrBps, mmrBps, liqFeeBps, longCap, shortCap);
    }

    function setRiskAdmin(address admin) external onlyOwner {
        emit RiskAdminChanged(riskAdmin, admin);
        riskAdmin = admin;
    }

    function setMarginRatios(bytes32 market, uint16 imrBps, uint16 mmrBps) external onlyRiskAdmin {
        Market storage m = _market(market);
        _checkMargins(imrBps, mmrBps);
        if (m.liqFeeBps >= mmrBps) revert Errors.InvalidMarginRatios(imrBps, mmrBps);
        m.imrBps = imrBps;
        m.mmrBps = mmrBps;
        emit MarginRatiosUpdated(market, imrBps, mmrBps);
    }

    function setOpenInterestCaps(bytes32 market, uint256 longCap, uint256 shortCap) external onlyRiskAdmin {
        Market storage m = _market(market);
        if (longCap == 0 || shortCap == 0) revert Errors.ZeroValue("CAP");
        m.longCap = longCap;
        m.shortCap = shortCap;
        emit OpenInterestCapsUpdated(market, longCap, shortCap);
    }

    // ───────────────────────────── funds ─────────────────────────────

    function deposit(uint256 amount) external nonReentrant {
        if (amount == 0) revert Errors.ZeroAmount();
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
        freeBalance[msg.sender] += amount;
        totalTraderCollateral += amount;
        emit Deposited(msg.sender, amount);
    }

    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert Errors.ZeroAmount();
        uint256 free = freeBalance[msg.sender];
        if (free < amount) revert Errors.InsufficientBalance(msg.sender, free, amount);
        freeBalance[msg.sender] = free - amount;
        totalTraderCollateral -= amount;
        collateralToken.safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice Pool shares are minted pro rata to the pool's balance; the pool pays profits and takes losses.
    function provideLiquidity(uint256 amount) external nonReentrant returns (uint256 shares) {
        if (amount == 0) revert Errors.ZeroAmount();
        shares = totalLiquidityShares == 0 || poolBalance == 0 ? amount : (amount * totalLiquidityShares) / poolBalance;
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
        poolBalance += amount;
        liquidityShares[msg.sender] += shares;
        totalLiquidityShares += shares;
        emit LiquidityProvided(msg.sender, amount, shares);
    }

    function removeLiquidity(uint256 shares) external nonReentrant returns (uint256 amount) {
        uint256 owned = liquidityShares[msg.sender];
        if (shares == 0) revert Errors.ZeroAmount();
        if (owned < shares) revert Errors.InsufficientBalance(msg.sender, owned, shares);
        amount = (shares * poolBalance) / totalLiquidityShares;
        liquidityShares[msg.sender] = owned - shares;
        totalLiquidityShares -= shares;
        poolBalance -= amount;
        collateralToken.safeTransfer(msg.sender, amount);
        emit LiquidityRemoved(msg.sender, amount, shares);
    }

    function fundInsurance(uint256 amount) external nonReentrant {
        if (amount == 0) revert Errors.ZeroAmount();
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
        insuranceFund += amount;
        emit InsuranceFunded(msg.sender, amount);
    }

    // ───────────────────────────── trading ─────────────────────────────

    function openPosition(bytes32 market, bool isLong, uint256 size, uint256 collateral) external nonReentrant returns (uint256 id) {
        if (size == 0 || collateral == 0) revert Errors.ZeroAmount();
        uint256 free = freeBalance[msg.sender];
        if (free < collateral) revert Errors.InsufficientBalance(msg.sender, free, collateral);
        uint256 price = _admitOpen(market, isLong, size, collateral);
        freeBalance[msg.sender] = free - collateral;
        id = nextPositionId++;
        positions.push(PackedPosition(msg.sender, id.toUint64(), marketIndexOf[market], isLong, size.toUint128(), price.toUint128(), collateral));
        positionIndexPlusOne[id] = positions.length;
        emit PositionOpened(id, msg.sender, market, isLong, size, price, collateral);
    }

    /// @dev Checks initial margin and the side's open-interest cap at the mark, books the size, returns the mark.
    function _admitOpen(bytes32 market, bool isLong, uint256 size, uint256 collateral) internal returns (uint256 price) {
        Market storage m = _market(market);
        price = _price(m);
        uint256 required = _mulBpsUp((size * price) / WAD, m.imrBps);
        if (collateral * toUsdScale < required) revert Errors.InsufficientInitialMargin(collateral * toUsdScale, required);
        uint256 sideSize = (isLong ? m.longSize : m.shortSize) + size;
        uint256 sideOi = (sideSize * price) / WAD;
        uint256 cap = isLong ? m.longCap : m.shortCap;
        if (sideOi > cap) revert Errors.OpenInterestCapExceeded(market, isLong, sideOi, cap);
        if (isLong) m.longSize = sideSize;
        else m.shortSize = sideSize;
    }

    function addCollateral(uint256 id, uint256 amount) external nonReentrant {
        PackedPosition storage p = positions[_ownedIndex(id)];
        if (amount == 0) revert Errors.ZeroAmount();
        uint256 free = freeBalance[msg.sender];
        if (free < amount) revert Errors.InsufficientBalance(msg.sender, free, amount);
        freeBalance[msg.sender] = free - amount;
        p.collateral += amount;
        emit CollateralChanged(id, amount.toInt256(), p.collateral);
    }

    /// @notice Moves collateral back to the free balance while the position keeps its initial margin.
    function removeCollateral(uint256 id, uint256 amount) external nonReentrant {
        uint256 ix = _ownedIndex(id);
        Position memory p = _load(ix);
        if (amount == 0 || amount > p.collateral) revert Errors.InsufficientBalance(msg.sender, p.collateral, amount);
        Market storage m = markets[p.market];
        uint256 price = _price(m);
        int256 equityAfter = _equityUsd(p, price) - (amount * toUsdScale).toInt256();
        uint256 required = _mulBpsUp((p.size * price) / WAD, m.imrBps);
        if (equityAfter < required.toInt256()) {
            revert Errors.InsufficientInitialMargin(equityAfter < 0 ? 0 : uint256(equityAfter), required);
        }
        positions[ix].collateral = p.collateral - amount;
        freeBalance[msg.sender] += amount;
        emit CollateralChanged(id, -amount.toInt256(), p.collateral - amount);
    }

    function closePosition(uint256 id) external nonReentrant {
        Position memory p = _load(_ownedIndex(id));
        uint256 price = _price(markets[p.market]);
        int256 pnl = _pnlUsd(p, price);
        int256 equity = (p.collateral * toUsdScale).toInt256() + pnl;
        if (equity < 0) revert Errors.PositionUnderwater(id, equity);
        uint256 payout = _settleAgainstPool(p.collateral, pnl);
        _removePosition(p);
        freeBalance[p.account] += payout;
        totalTraderCollateral = totalTraderCollateral - p.collateral + payout;
        emit PositionClosed(id, p.account, price, pnl, payout);
    }

    /// @notice Anyone may liquidate a position whose equity is below its maintenance margin.
    /// @dev The liquidator's fee comes out of the position's equity; the trader keeps what is left.
    /// A loss beyond the collateral is paid to the pool by the insurance fund, then recorded as bad debt.
    function liquidate(uint256 id) external nonReentrant {
        Position memory p = _load(_indexOf(id));
        Market storage m = markets[p.market];
        uint256 price = _price(m);
        uint256 notional = (p.size * price) / WAD;
        int256 pnl = _pnlUsd(p, price);
        int256 equity = (p.collateral * toUsdScale).toInt256() + pnl;
        uint256 maintenance = _mulBpsUp(notional, m.mmrBps);
        if (equity >= maintenance.toInt256()) revert Errors.PositionHealthy(id, equity, maintenance);

        _removePosition(p);
        totalTraderCollateral -= p.collateral;
        uint256 fee;
        uint256 insuranceUsed;
        uint256 badDebtAdded;
        if (equity >= 0) {
            uint256 equityTokens = uint256(equity) / toUsdScale;
            fee = _min((notional * m.liqFeeBps) / BPS / toUsdScale, equityTokens);
            uint256 toTrader = equityTokens - fee;
            // The collateral pays the trader's remaining equity and the fee; the rest settles the loss to the pool.
            // A position in profit can still be under maintenance once the risk admin raises it above the
            // position's margin: then the pool pays the profit, as it would on a close.
            if (equityTokens <= p.collateral) {
                poolBalance += p.collateral - equityTokens;
            } else {
                uint256 profit = equityTokens - p.collateral;
                if (profit > poolBalance) revert Errors.InsufficientPoolLiquidity(poolBalance, profit);
                poolBalance -= profit;
            }
            if (toTrader > 0) {
                freeBalance[p.account] += toTrader;
                totalTraderCollateral += toTrader;
            }
        } else {
            uint256 shortfall = _ceilDiv(uint256(-equity), toUsdScale);
            insuranceUsed = _min(shortfall, insuranceFund);
            insuranceFund -= insuranceUsed;
            badDebtAdded = shortfall - insuranceUsed;
            badDebt += badDebtAdded;
            poolBalance += p.collateral + insuranceUsed;
        }
        if (fee > 0) collateralToken.safeTransfer(msg.sender, fee);
        emit PositionLiquidated(id, p.account, msg.sender, price, equity, fee, insuranceUsed, badDebtAdded);
    }

    /// @notice Automated deleveraging: closes part of a profitable position at the mark, against the pool.
    function deleverage(uint256 id, uint256 sizeDelta) external nonReentrant onlyRiskAdmin returns (int256 realisedPnl) {
        uint256 ix = _indexOf(id);
        Position memory p = _load(ix);
        if (sizeDelta == 0) revert Errors.ZeroAmount();
        if (sizeDelta > p.size) revert Errors.DeleverageTooLarge(id, p.size, sizeDelta);
        Market storage m = markets[p.market];
        uint256 price = _price(m);
        int256 pnl = _pnlUsd(p, price);
        if (pnl <= 0) revert Errors.PositionNotProfitable(id, pnl);

        realisedPnl = (pnl * sizeDelta.toInt256()) / p.size.toInt256();
        uint256 released = (p.collateral * sizeDelta) / p.size;
        uint256 payout = _settleAgainstPool(released, realisedPnl);
        if (p.isLong) m.longSize -= sizeDelta;
        else m.shortSize -= sizeDelta;

        freeBalance[p.account] += payout;
        totalTraderCollateral = totalTraderCollateral - released + payout;
        if (sizeDelta == p.size) {
            _removePositionAt(ix, id);
        } else {
            PackedPosition storage stored = positions[ix];
            stored.size = (p.size - sizeDelta).toUint128();
            stored.collateral = p.collateral - released;
        }
        emit PositionDeleveraged(id, p.account, p.market, sizeDelta, price, realisedPnl);
    }

    // ───────────────────────────── views ─────────────────────────────

    function getProtocolState() external view returns (ProtocolState memory) {
        return ProtocolState({
            collateralToken: address(collateralToken),
            collateralDecimals: collateralDecimals,
            riskAdmin: riskAdmin,
            totalTraderCollateral: totalTraderCollateral,
            poolBalance: poolBalance,
            insuranceFund: insuranceFund,
            badDebt: badDebt,
            positionCount: positions.length,
            marketCount: marketIds.length
        });
    }

    /// @notice Every market with its parameters and open interest in base units; read without the oracle, so it never reverts on a stale feed.
    function getMarkets() external view returns (MarketView[] memory out) {
        out = new MarketView[](marketIds.length);
        for (uint256 i = 0; i < out.length; ++i) {
            bytes32 id = marketIds[i];
            Market storage m = markets[id];
            out[i] = MarketView(id, m.feed, m.feedDecimals, m.heartbeat, m.imrBps, m.mmrBps, m.liqFeeBps, m.longCap, m.shortCap, m.longSize, m.shortSize);
        }
    }

    /// @notice Positions [offset, offset + limit), densely stored: a page costs O(limit).
    function getPositions(uint256 offset, uint256 limit) external view returns (Position[] memory page) {
        uint256 n = positions.length;
        if (offset >= n) return new Position[](0);
        uint256 end = offset + limit > n ? n : offset + limit;
        page = new Position[](end - offset);
        for (uint256 i = offset; i < end; ++i) page[i - offset] = _load(i);
    }

    /// @notice The same page as three words a position, for bulk readers: w0 = account | id << 160 |
    /// marketIndex << 224 | isLong << 240 (market index into getMarkets()); w1 = size | entryPrice << 128;
    /// w2 = collateral. No struct copying and no market lookups: a fraction of getPositions' gas.
    function getPositionsPacked(uint256 offset, uint256 limit) external view returns (uint256[] memory words) {
        uint256 n = positions.length;
        if (offset >= n) return new uint256[](0);
        uint256 end = offset + limit > n ? n : offset + limit;
        words = new uint256[]((end - offset) * 3);
        // The storage layout of PackedPosition is exactly these three words: copy the slots as they are.
        PackedPosition[] storage book = positions;
        assembly ("memory-safe") {
            mstore(0, book.slot)
            let slot := add(keccak256(0, 32), mul(offset, 3))
            let out := add(words, 32)
            let last := add(out, mul(sub(end, offset), 96))
            for {} lt(out, last) {} {
                mstore(out, sload(slot))
                mstore(add(out, 32), sload(add(slot, 1)))
                mstore(add(out, 64), sload(add(slot, 2)))
                out := add(out, 96)
                slot := add(slot, 3)
            }
        }
    }

    function positionOf(uint256 id) external view returns (Position memory) {
        return _load(_indexOf(id));
    }

    /// @notice The oracle price of a market, 18 decimals; reverts when the feed is stale or non-positive.
    function markPrice(bytes32 market) external view returns (uint256) {
        return _price(_market(market));
    }

    function marginRatios(bytes32 market) external view returns (uint16 imrBps, uint16 mmrBps) {
        Market storage m = _market(market);
        return (m.imrBps, m.mmrBps);
    }

    function openInterestCaps(bytes32 market) external view returns (uint256 longCap, uint256 shortCap) {
        Market storage m = _market(market);
        return (m.longCap, m.shortCap);
    }

    /// @notice Equity in usd (collateral plus PnL at the mark) and the maintenance requirement.
    function positionHealth(uint256 id) external view returns (int256 equityUsd, uint256 maintenanceUsd) {
        Position memory p = _load(_indexOf(id));
        Market storage m = markets[p.market];
        uint256 price = _price(m);
        return (_equityUsd(p, price), _mulBpsUp((p.size * price) / WAD, m.mmrBps));
    }

    // ───────────────────────────── internals ─────────────────────────────

    function _price(Market storage m) internal view returns (uint256) {
        (, int256 answer,, uint256 updatedAt,) = AggregatorV3Interface(m.feed).latestRoundData();
        if (answer <= 0) revert Errors.InvalidPrice(m.feed, answer);
        if (updatedAt + m.heartbeat < block.timestamp) revert Errors.StalePrice(m.feed, updatedAt, m.heartbeat, block.timestamp);
        return m.feedDecimals <= 18 ? uint256(answer) * 10 ** (18 - m.feedDecimals) : uint256(answer) / 10 ** (m.feedDecimals - 18);
    }

    /// @dev Pays a profit from the pool or books a loss to it; returns what the trader receives.
    function _settleAgainstPool(uint256 collateral, int256 pnlUsd) internal returns (uint256 payout) {
        if (pnlUsd >= 0) {
            uint256 profit = uint256(pnlUsd) / toUsdScale; // rounds against the trader
            if (profit > poolBalance) revert Errors.InsufficientPoolLiquidity(poolBalance, profit);
            poolBalance -= profit;
            return collateral + profit;
        }
        uint256 loss = _ceilDiv(uint256(-pnlUsd), toUsdScale); // rounds toward the pool
        poolBalance += loss;
        return collateral - loss;
    }

    function _pnlUsd(Position memory p, uint256 price) internal pure returns (int256) {
        int256 move = price.toInt256() - p.entryPrice.toInt256();
        int256 pnl = (move * p.size.toInt256()) / int256(WAD);
        return p.isLong ? pnl : -pnl;
    }

    function _equityUsd(Position memory p, uint256 price) internal view returns (int256) {
        return (p.collateral * toUsdScale).toInt256() + _pnlUsd(p, price);
    }

    function _removePosition(Position memory p) internal {
        Market storage m = markets[p.market];
        if (p.isLong) m.longSize -= p.size;
        else m.shortSize -= p.size;
        _removePositionAt(positionIndexPlusOne[p.id] - 1, p.id);
    }

    function _removePositionAt(uint256 index, uint256 id) internal {
        uint256 last = positions.length - 1;
        if (index != last) {
            PackedPosition storage moved = positions[last];
            positions[index] = moved;
            positionIndexPlusOne[moved.id] = index + 1;
        }
        positions.pop();
        delete positionIndexPlusOne[id];
    }

    function _market(bytes32 id) internal view returns (Market storage m) {
        m = markets[id];
        if (!m.listed) revert Errors.UnknownMarket(id);
    }

    function _indexOf(uint256 id) internal view returns (uint256) {
        uint256 ix = positionIndexPlusOne[id];
        if (ix == 0) revert Errors.UnknownPosition(id);
        return ix - 1;
    }

    function _ownedIndex(uint256 id) internal view returns (uint256 ix) {
        ix = _indexOf(id);
        if (positions[ix].account != msg.sender) revert Errors.NotPositionOwner(id, msg.sender);
    }

    function _load(uint256 ix) internal view returns (Position memory) {
        PackedPosition storage p = positions[ix];
        return Position(p.id, p.account, marketIds[p.marketIndex], p.isLong, p.size, p.entryPrice, p.collateral);
    }

    function _checkMargins(uint256 imrBps, uint256 mmrBps) internal pure {
        if (mmrBps == 0 || mmrBps >= imrBps || imrBps > BPS) revert Errors.InvalidMarginRatios(imrBps, mmrBps);
    }

    function _mulBpsUp(uint256 value, uint256 bps) internal pure returns (uint256) {
        return _ceilDiv(value * bps, BPS);
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
