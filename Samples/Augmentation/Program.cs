using GpuCnn.Datasets;
using GpuCnn.Datasets.Augmentation;

var (cifar, _) = Cifar10.Load("data/cifar-10-batches-bin");
var augment = new Compose(new RandomCrop(padding: 4), new RandomHorizontalFlip(), new RandomShift(maxShift: 2));
var batcher = new ImageBatcher(cifar, batchSize: 128, shuffle: true, seed: 0, Cifar10.Mean, Cifar10.Std, augment);
foreach (var batch in new BackgroundBatchLoader(batcher).Epoch(epoch: 0)) { /* batch.Images, batch.Labels */ }
