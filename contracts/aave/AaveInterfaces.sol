// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The slices of Aave V3 the steward uses (Aave's sources pin solc 0.8.10; these are the same ABIs).
interface IAavePoolConfigurator {
    function configureReserveAsCollateral(address asset, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus) external;
    function setSupplyCap(address asset, uint256 newSupplyCap) external;
    function setBorrowCap(address asset, uint256 newBorrowCap) external;
}

interface IAaveProtocolDataProvider {
    function getReserveConfigurationData(address asset)
        external
        view
        returns (
            uint256 decimals,
            uint256 ltv,
            uint256 liquidationThreshold,
            uint256 liquidationBonus,
            uint256 reserveFactor,
            bool usageAsCollateralEnabled,
            bool borrowingEnabled,
            bool stableBorrowRateEnabled,
            bool isActive,
            bool isFrozen
        );

    function getReserveCaps(address asset) external view returns (uint256 borrowCap, uint256 supplyCap);
}
