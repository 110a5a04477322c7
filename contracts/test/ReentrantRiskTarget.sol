// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBoundedSteward, IRiskSteward} from "../steward/IRiskSteward.sol";

/// @notice A hostile protocol: when the steward sets its margins, it calls back into the steward
/// to push a second, larger change through inside the first one.
contract ReentrantRiskTarget {
    IRiskSteward public steward;
    uint16 public imr = 1000;
    uint16 public mmr = 500;
    uint16 public attackImr;
    uint16 public attackMmr;

    function arm(IRiskSteward steward_, uint16 attackImr_, uint16 attackMmr_) external {
        steward = steward_;
        attackImr = attackImr_;
        attackMmr = attackMmr_;
    }

    function marginRatios(bytes32) external view returns (uint16, uint16) {
        return (imr, mmr);
    }

    function setMarginRatios(bytes32 market, uint16 imrBps, uint16 mmrBps) external {
        imr = imrBps;
        mmr = mmrBps;
        if (address(steward) != address(0)) {
            steward.updateMarginRatios(
                market,
                IRiskSteward.MarginRatios(imrBps, mmrBps),
                IRiskSteward.MarginRatios(attackImr, attackMmr),
                IBoundedSteward.ActionTag(keccak256("reentry"), bytes32(0), type(uint64).max)
            );
        }
    }
}
