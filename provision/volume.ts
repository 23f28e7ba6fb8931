// The data volume: the app's data directory (its database, the uploads, a local PostgreSQL's
// cluster) on a disk of its own that outlives the server: an encrypted ECS data disk re-attached
// to a rebuilt instance, or the test host's volume (scripts/testhost.sh --volume). Formatted only
// when blank, mounted by UUID (provision/scripts/volume.sh).
import { Step } from "./step";
import { scriptFromFile } from "./shell";
import { mountProbe, probeOf } from "./probes";
import { APP_UNIT } from "../core/constants";

/** The filesystem label that marks this program's data volume (found by it on a re-attached disk). */
export const VOLUME_LABEL = "aistudio-data";
/**
 * nofail: a missing disk does not stop the boot (SSH stays reachable to repair it); the app's unit
 * requires the mount (RequiresMountsFor), so it never writes onto the system disk instead.
 */
export const VOLUME_MOUNT_OPTIONS = "defaults,nofail,noatime,x-systemd.device-timeout=30s";

export interface VolumeOptions {
  /** The block device; undefined: the disk labelled VOLUME_LABEL, else the one blank disk. */
  device?: string;
  /** Where it is mounted: the app's data directory. */
  mountPoint: string;
}

export function volumeStep(o: VolumeOptions): Step {
  return {
    id: "volume",
    description: `mount the data volume${o.device ? ` ${o.device}` : ""} at ${o.mountPoint}`,
    files: [],
    apply: scriptFromFile("volume", {
      DEVICE: o.device ?? "",
      LABEL: VOLUME_LABEL,
      MOUNT_POINT: o.mountPoint,
      MOUNT_OPTIONS: VOLUME_MOUNT_OPTIONS,
      FSTAB: "/etc/fstab",
      APP_UNIT,
      RUN_DIR: "/run",
    }),
    ...probeOf(mountProbe(o.mountPoint)),
  };
}
