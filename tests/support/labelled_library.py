"""A small labelled library for retrieval tests: English and Chinese PDFs and READMEs, 32 questions."""

from __future__ import annotations

from index.evaluation import Question
from ingest.models import DocKind, Document
from ingest.parse.pdf import parse_pdf
from tests.support.index_support import readme
from tests.support.pdfgen import make_pdf

PAPERS: dict[str, tuple[str, list[str], bool]] = {
    "2001.00001": ("Pipeline Parallelism for Giant Networks", [
        "# 1 Introduction\nThe largest networks no longer fit in the memory of one accelerator. Pipeline "
        "parallelism partitions the consecutive layers of a network into stages and places each stage on a "
        "different device, so a model of any depth can be trained by adding devices.",
        "# 2 Micro-batches\nA mini-batch is split into M micro-batches that flow through the K stages one after "
        "another. The pipeline bubble, the time devices sit idle while the pipeline fills and drains, costs "
        "O((K-1)/(M+K-1)) of each step and becomes negligible when M is at least four times K. Gradients are "
        "accumulated over the micro-batches and applied synchronously.",
        "# 3 Experiments\nWe train a 6-billion-parameter Transformer on 8 accelerators. Throughput grows almost "
        "linearly with the number of stages: 3.5 times faster on four devices than on one.",
    ], False),
    "2001.00002": ("Training Deep Networks with Sublinear Memory", [
        "# 1 Introduction\nDuring training, the intermediate feature maps of the forward pass must be kept for the "
        "backward pass. For deep networks these activations, not the weights, dominate memory use.",
        "# 2 Recomputation\nWe keep checkpoints of the activations every sqrt(n) layers and drop the rest. In the "
        "backward pass each dropped segment is recomputed from its checkpoint, so an n-layer network trains with "
        "O(sqrt(n)) memory at the price of one extra forward pass.",
        "# 3 Results\nWith recomputation a 1,000-layer residual network trains on a single GPU with 12 GB, and the "
        "extra computation slows training by only 30 percent.",
    ], False),
    "2001.00003": ("Mixed Precision Training", [
        "# 1 Half precision\nStoring weights, activations and gradients in 16-bit floating point halves memory "
        "traffic, and tensor cores multiply FP16 matrices several times faster than FP32 ones.",
        "# 2 Master weights and loss scaling\nAn FP32 master copy of the weights receives the updates, because "
        "small updates vanish when added to FP16 weights. Small gradient values underflow to zero in FP16, so the "
        "loss is multiplied by a scale factor before the backward pass and the gradients divided by it after.",
        "# 3 Results\nAcross image classification, speech recognition and language models, mixed precision "
        "reaches the same accuracy as single precision training.",
    ], False),
    "2001.00004": ("LoRA: Low-Rank Adaptation of Large Language Models", [
        "# 1 Introduction\nFine-tuning every parameter of a large pretrained model is expensive to train and to "
        "store. We freeze the pretrained weights and train only small adapter matrices.",
        "# 2 Method\nThe weight update is written as a product of two low-rank matrices, W = W0 + BA, with rank r "
        "far below the layer width. This cuts trainable parameters by a factor of 10,000, and since BA can be "
        "merged into W0 after training, inference runs with no added latency.",
        "# 3 GPT-3 experiments\nOn GPT-3 175B, low-rank adaptation matches full fine-tuning while using three times "
        "less GPU memory during training.",
    ], False),
    "2001.00005": ("FlashAttention: Fast and Memory-Efficient Exact Attention", [
        "# 1 Introduction\nStandard attention is bound by memory bandwidth, not compute: it reads and writes the "
        "full attention matrix between the GPU's large high-bandwidth memory (HBM) and its small on-chip SRAM.",
        "# 2 Tiling\nWe split queries, keys and values into blocks that fit in SRAM and compute the softmax block "
        "by block, keeping a running maximum and sum for each row. The backward pass recomputes attention from "
        "the blocks instead of storing the matrix.",
        "# 3 Results\nTraining GPT-2 is three times faster, BERT-large 15 percent faster, and the linear memory use "
        "lets models read sequences of 64K tokens.",
    ], False),
    "2001.00006": ("张量并行入门", [
        "# 1 切分方法\n张量并行把单个层内的矩阵乘法切分到多个GPU上。"
        "多层感知机的第一个线性层按列切分，第二个线性层按行切分，这样两次矩阵乘法之间不需要通信。",
        "# 2 通信开销\n每个Transformer层的前向传播需要两次all-reduce通信，反向传播同样需要两次。"
        "通信量很大，因此张量并行适合在同一台机器内通过NVLink相连的GPU之间使用。",
    ], True),
}

READMES = [
    readme("demo/quantkit", {
        "简介": "量化工具包把模型的浮点权重压缩为8位整数，推理时显存占用减少一半，速度提升约两倍。",
        "安装": "使用 pip install quantkit 安装。需要 CUDA 11.8 以上版本和 PyTorch 2.0。",
        "使用 > 训练后量化": "训练后量化需要准备一个校准数据集，大约一百条样本即可。"
                            "工具逐层统计激活的取值范围，并据此确定缩放因子。",
        "使用 > GPTQ": "GPTQ 把权重量化为4位整数。"
                       "它逐列量化权重，并利用二阶信息把每一列的量化误差补偿到尚未量化的列上。",
    }),
    readme("demo/servefast", {
        "Overview": "ServeFast is an inference server for large language models with an OpenAI-compatible API.",
        "Features > Paged KV cache": "The key-value cache is stored in fixed-size pages, like virtual memory, "
                                     "so memory fragmentation stays below four percent and more requests fit.",
        "Features > Continuous batching": "New requests join the running batch at every decoding step instead "
                                          "of waiting for the whole batch to finish.",
        "Deployment": "Run docker run -p 8000:8000 servefast/server --model <path> and point any OpenAI client "
                      "at port 8000.",
    }),
    readme("demo/dist-notes", {
        "数据并行": "数据并行时每张卡保存一份完整的模型副本，各自处理不同的数据，反向传播之后用 all-reduce 同步梯度。",
        "ZeRO > 优化器状态切分": "ZeRO 把优化器状态、梯度和参数切分到各个数据并行进程上，"
                               "每张卡只保存其中一份，显存占用随卡数线性下降。",
        "ZeRO > 卸载": "ZeRO-Offload 把优化器状态和更新计算放到 CPU 内存中，让单张 GPU 也能训练百亿参数的模型。",
    }),
]

# A glossary like the guide's: general zh -> en terms of the field, not words picked for these questions.
GUIDE_GLOSSARY = {
    "流水线并行": "pipeline parallelism", "张量并行": "tensor parallelism", "数据并行": "data parallelism",
    "混合精度": "mixed precision", "梯度检查点": "gradient checkpointing", "低秩适配": "low-rank adaptation",
    "量化": "quantization", "注意力": "attention", "显存": "GPU memory", "微调": "fine-tuning",
    "推理": "inference", "半精度": "half precision",
}

P = "paper:2001.0000"
QUESTIONS = [
    Question("Why split a network into stages on different devices?", f"{P}1", pages=(1,)),
    Question("How large is the pipeline bubble with M micro-batches and K stages?", f"{P}1", pages=(2,)),
    Question("How much faster was training on four devices?", f"{P}1", pages=(3,)),
    Question("What dominates memory use when training deep networks?", f"{P}2", pages=(1,)),
    Question("How much memory does keeping a checkpoint every sqrt(n) layers need?", f"{P}2", pages=(2,)),
    Question("How deep a residual network can train on one GPU with recomputation?", f"{P}2", pages=(3,)),
    Question("Why keep an FP32 master copy of the weights?", f"{P}3", pages=(2,)),
    Question("Does mixed precision lose accuracy compared with single precision?", f"{P}3", pages=(3,)),
    Question("How does LoRA write the weight update?", f"{P}4", pages=(2,)),
    Question("Why is standard attention slow on GPUs?", f"{P}5", pages=(1,)),
    Question("How is the softmax computed block by block?", f"{P}5", pages=(2,)),
    Question("How is the key-value cache stored in ServeFast?", "repo:demo/servefast",
             heading="Features > Paged KV cache"),
    Question("How do I deploy ServeFast with docker?", "repo:demo/servefast", heading="Deployment"),
    Question("How is the first linear layer split in tensor parallelism?", f"{P}6", pages=(1,)),
    Question("What does ZeRO partition across data-parallel processes?", "repo:demo/dist-notes",
             heading="ZeRO > 优化器状态切分"),
    Question("How many bits does GPTQ quantize weights to?", "repo:demo/quantkit", heading="使用 > GPTQ"),
    Question("为什么要把网络切分成多个阶段放到不同设备上？", f"{P}1", pages=(1,),
             english="Why split a network into stages on different devices?"),
    Question("流水线的气泡开销有多大？", f"{P}1", pages=(2,), english="How large is the pipeline bubble overhead?"),
    Question("每隔多少层保存一次激活检查点？", f"{P}2", pages=(2,),
             english="How many layers apart are activation checkpoints kept?"),
    Question("混合精度训练为什么要做损失缩放？", f"{P}3", pages=(2,),
             english="Why does mixed precision training scale the loss?"),
    Question("半精度浮点数为什么能加快训练？", f"{P}3", pages=(1,),
             english="Why does half precision floating point speed up training?"),
    Question("低秩适配冻结了哪些参数？", f"{P}4", pages=(1,),
             english="Which parameters does low-rank adaptation freeze?"),
    Question("LoRA 在 GPT-3 上节省了多少显存？", f"{P}4", pages=(3,),
             english="How much GPU memory does LoRA save on GPT-3?"),
    Question("FlashAttention 训练 GPT-2 快了多少？", f"{P}5", pages=(3,),
             english="How much faster does FlashAttention train GPT-2?"),
    Question("注意力计算为什么受限于显存带宽？", f"{P}5", pages=(1,),
             english="Why is attention bound by memory bandwidth?"),
    Question("新请求如何加入正在运行的批次？", "repo:demo/servefast", heading="Features > Continuous batching",
             english="How do new requests join the running batch?"),
    Question("张量并行每层需要几次 all-reduce 通信？", f"{P}6", pages=(2,),
             english="How many all-reduce calls does tensor parallelism need per layer?"),
    Question("如何安装量化工具包？", "repo:demo/quantkit", heading="安装",
             english="How do I install the quantization toolkit?"),
    Question("训练后量化需要什么校准数据？", "repo:demo/quantkit", heading="使用 > 训练后量化",
             english="What calibration data does post-training quantization need?"),
    Question("数据并行如何同步梯度？", "repo:demo/dist-notes", heading="数据并行",
             english="How does data parallelism synchronize gradients?"),
    Question("ZeRO-Offload 把优化器状态放在哪里？", "repo:demo/dist-notes", heading="ZeRO > 卸载",
             english="Where does ZeRO-Offload put the optimizer states?"),
    Question("GPTQ 如何补偿量化误差？", "repo:demo/quantkit", heading="使用 > GPTQ",
             english="How does GPTQ compensate the quantization error?"),
]


def library() -> list[Document]:
    """The labelled library: the PDFs drawn with reportlab and read back by the real parser, and the READMEs."""
    docs = list(READMES)
    for source_id, (title, pages, chinese) in PAPERS.items():
        parsed = parse_pdf(make_pdf(pages, title=title, page_title=title, chinese=chinese),
                           name=f"{source_id}.pdf", max_bytes=10 * 2**20, workers=1)
        docs.append(Document(doc_id=f"paper:{source_id}", kind=DocKind.PAPER, source_id=source_id, title=title,
                             pages=parsed.pages, sections=parsed.sections))
    return docs
