// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title ConstantProductPool
/// @notice A minimal x·y = k pool of a base asset against the stablecoin. The keeper reads its
/// reserves as the asset's liquidity depth; liquidations and rehearsals trade against it.
contract ConstantProductPool is ReentrancyGuard {
    using SafeERC20 for IERC20;

    IERC20 public immutable base;
    IERC20 public immutable quote;
    uint16 public immutable feeBps;

    uint256 public baseReserve;
    uint256 public quoteReserve;
    mapping(address => uint256) public shares;
    uint256 public totalShares;

    error ZeroLiquidity();
    error InsufficientShares(uint256 owned, uint256 requested);
    error InsufficientOutput(uint256 out, uint256 minOut);

    event LiquidityAdded(address indexed provider, uint256 baseAmount, uint256 quoteAmount, uint256 shares);
    event LiquidityRemoved(address indexed provider, uint256 baseAmount, uint256 quoteAmount, uint256 shares);
    event Swap(address indexed trader, bool baseIn, uint256 amountIn, uint256 amountOut);

    constructor(IERC20 base_, IERC20 quote_, uint16 feeBps_) {
        base = base_;
        quote = quote_;
        feeBps = feeBps_;
    }

    /// @notice The first deposit sets the price; later ones add at the current ratio (extra is not taken).
    function addLiquidity(uint256 baseAmount, uint256 quoteAmount) external nonReentrant returns (uint256 minted) {
        if (baseAmount == 0 || quoteAmount == 0) revert ZeroLiquidity();
        if (totalShares == 0) {
            minted = baseAmount;
        } else {
            uint256 byBase = (baseAmount * totalShares) / baseReserve;
            uint256 byQuote = (quoteAmount * totalShares) / quoteReserve;
            minted = byBase < byQuote ? byBase : byQuote;
            baseAmount = (minted * baseReserve) / totalShares;
            quoteAmount = (minted * quoteReserve) / totalShares;
        }
        base.safeTransferFrom(msg.sender, address(this), baseAmount);
        quote.safeTransferFrom(msg.sender, address(this), quoteAmount);
        baseReserve += baseAmount;
        quoteReserve += quoteAmount;
        shares[msg.sender] += minted;
        totalShares += minted;
        emit LiquidityAdded(msg.sender, baseAmount, quoteAmount, minted);
    }

    function removeLiquidity(uint256 amount) external nonReentrant returns (uint256 baseOut, uint256 quoteOut) {
        uint256 owned = shares[msg.sender];
        if (amount == 0 || amount > owned) revert InsufficientShares(owned, amount);
        baseOut = (amount * baseReserve) / totalShares;
        quoteOut = (amount * quoteReserve) / totalShares;
        shares[msg.sender] = owned - amount;
        totalShares -= amount;
        baseReserve -= baseOut;
        quoteReserve -= quoteOut;
        base.safeTransfer(msg.sender, baseOut);
        quote.safeTransfer(msg.sender, quoteOut);
        emit LiquidityRemoved(msg.sender, baseOut, quoteOut, amount);
    }

    function getAmountOut(bool baseIn, uint256 amountIn) public view returns (uint256) {
        (uint256 rin, uint256 rout) = baseIn ? (baseReserve, quoteReserve) : (quoteReserve, baseReserve);
        uint256 inAfterFee = (amountIn * (10_000 - feeBps)) / 10_000;
        return (inAfterFee * rout) / (rin + inAfterFee);
    }

    function swap(bool baseIn, uint256 amountIn, uint256 minOut) external nonReentrant returns (uint256 out) {
        out = getAmountOut(baseIn, amountIn);
        if (out < minOut || out == 0) revert InsufficientOutput(out, minOut);
        if (baseIn) {
            base.safeTransferFrom(msg.sender, address(this), amountIn);
            quote.safeTransfer(msg.sender, out);
            baseReserve += amountIn;
            quoteReserve -= out;
        } else {
            quote.safeTransferFrom(msg.sender, address(this), amountIn);
            base.safeTransfer(msg.sender, out);
            quoteReserve += amountIn;
            baseReserve -= out;
        }
        emit Swap(msg.sender, baseIn, amountIn, out);
    }

    function getReserves() external view returns (uint256, uint256) {
        return (baseReserve, quoteReserve);
    }
}
