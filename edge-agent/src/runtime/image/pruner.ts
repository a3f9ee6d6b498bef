// The image side of the artefact cache's disk quota (DESIGN.md "unused artefacts and images are
// garbage-collected within a disk quota"): the fn images this edge built (repository
// FN_IMAGE_REPO, one per input hash) as the cache's ImagePruner. An image is in use when it is the
// one the runtime runs now or any container (running or not) was created from it; gc() removes
// the others, oldest first, only when the quota needs the room.
import type Docker from 'dockerode';
import type { ImagePruner } from '../../artefacts/cache.js';
import { FN_IMAGE_REPO } from './build.js';

export class FnImagePruner implements ImagePruner {
  /** `current`: image id (sha256:…) the runtime starts containers from; never removed. */
  constructor(private readonly docker: Docker, private readonly current: string) {}

  async list(): Promise<Array<{ id: string; bytes: number; inUse: boolean; lastUsed?: number }>> {
    const images = await this.docker.listImages({ filters: JSON.stringify({ reference: [FN_IMAGE_REPO] }) });
    const containers = await this.docker.listContainers({ all: true });
    const used = new Set(containers.map((c) => c.ImageID));
    return images.map((i) => ({ id: i.Id, bytes: i.Size, inUse: i.Id === this.current || used.has(i.Id), lastUsed: i.Created * 1000 }));
  }

  async remove(id: string): Promise<void> {
    if (id === this.current) return;
    try {
      await this.docker.getImage(id).remove();
    } catch (e) {
      // 404: already gone; 409: a container was created from it meanwhile - then it is in use.
      const code = (e as { statusCode?: unknown }).statusCode;
      if (code !== 404 && code !== 409) throw e;
    }
  }
}
